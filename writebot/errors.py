"""The one error type that means "bad input": the CLI prints it as one line and exits 2."""


class InputError(Exception):
    """Bad input from the user: the message says what is wrong, where, and how to fix it."""
