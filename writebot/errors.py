"""Every writebot error, and the one place that turns an error into one line and an exit status.

An error's `exit_code` is the status the command ends with: 2 when the user must change something first (bad input,
a request the API rejects), 1 when waiting and continuing is the fix, 0 when a run stopped as asked (its budget).
`explain` is what the command line and the notebook widgets call. The Claude sub-package registers how to read the
SDK's own errors when it is loaded (writebot.claude.api_errors), so nothing here imports anthropic.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass

DISK_ERRORS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EROFS, errno.EFBIG}


class WritebotError(Exception):
    """The base of every writebot error. The message says what happened and, where it can, how to go on."""

    exit_code = 1


class InputError(WritebotError):
    """Bad input from the user: the message says what is wrong, where, and how to fix it."""

    exit_code = 2


class RunInUse(InputError):
    """Another process is writing this run folder."""


class ReplayMiss(InputError):
    """A request that the replay cassette does not hold."""


class ReadOnly(WritebotError):
    """A write through a RunStore opened for reading: a bug in writebot, never something a user did."""


class KeepLine(WritebotError, ValueError):
    """A bad line a log cannot do without (a header): reported, never moved aside."""


class BudgetReached(WritebotError):
    """The run's cost reached --max-cost-usd; the run stops cleanly and can be resumed."""

    exit_code = 0


class ModelStop(WritebotError):
    """Claude's answer could not be used, twice: cut at max_tokens, refused, or unusable. Nothing of it is kept."""

    def __init__(self, purpose: str, message: str):
        super().__init__(message)
        self.purpose = purpose


class OutputCut(ModelStop):
    """Cut at max_tokens even with the larger budget (or stopped by the context window)."""


class Refused(ModelStop):
    """stop_reason "refusal" twice; `category` and `explanation` come from the API's stop_details."""

    def __init__(self, purpose: str, message: str, category: str | None = None, explanation: str | None = None):
        super().__init__(purpose, message)
        self.category, self.explanation = category, explanation


class BadOutput(ModelStop):
    """An answer its caller could not use (empty, no verdict, ...) twice, or a stop reason writebot never asks for."""


class BatchExpired(WritebotError):
    """A Message Batch whose results are no longer available ("Batch results are available for 29 days after
    creation", https://platform.claude.com/docs/en/build-with-claude/batch-processing): its requests must be sent
    again."""

    def __init__(self, batch_id: str):
        super().__init__(f"the results of Message Batch {batch_id} are no longer available (the API keeps them 29 "
                         "days)")
        self.batch_id = batch_id


class BatchIncomplete(WritebotError):
    """Some batched drafts failed; the ones that succeeded are recorded and resume sends the rest again.
    exit_code 2 when the API rejected a request (the user must fix something first), else 1."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


class UpdateStopped(WritebotError):
    """The Claude optimizer's editor loop could not finish; its in-memory edits are discarded."""


class ToolError(WritebotError):
    """A text editor tool call that cannot be done: reported back to Claude as an is_error tool result."""


@dataclass(frozen=True)
class Explained:
    """An error as the person reads it: one line, and the exit status that goes with it."""

    message: str
    exit_code: int

    @property
    def line(self) -> str:
        """What the command prints: a stop that was asked for (status 0) is not called an error."""
        return f"writebot: {self.message}" if self.exit_code == 0 else f"writebot: error: {self.message}"


Explainer = Callable[[BaseException, "str | None"], "Explained | None"]
_explainers: list[Explainer] = []


def register(explainer: Explainer) -> Explainer:
    """Add a reader for errors that are not writebot's own (the SDK's); it returns None for what it does not know."""
    if explainer not in _explainers:
        _explainers.append(explainer)
    return explainer


def explain(exc: BaseException, run_dir: str | None = None, spent: float | None = None) -> Explained | None:
    """One line and an exit status for any error a person should read as a line, or None for a bug (which keeps
    its traceback). With `run_dir`, lines about a stopped run end with how to continue it; `spent` is its cost."""
    resume = f"writebot resume {run_dir}" if run_dir else None
    for explainer in _explainers:
        if (explained := explainer(exc, run_dir)) is not None:
            return explained
    if isinstance(exc, BudgetReached):
        cost = f" (spent ${spent:.4f})" if spent is not None else ""
        return Explained(f"{exc}{cost}; stopped cleanly"
                         + (f". Continue with: {resume} --max-cost-usd MORE" if resume else ""), 0)
    if isinstance(exc, ModelStop):
        return Explained(f"{exc}" + (f"; nothing partial was recorded. Continue with: {resume}" if resume else ""), 1)
    if isinstance(exc, BatchIncomplete):
        return Explained(f"{exc}" + (f". Continue with: {resume}" if resume else ""), exc.exit_code)
    if isinstance(exc, ReadOnly):
        return None  # a bug: its traceback says where
    if isinstance(exc, WritebotError):
        return Explained(str(exc), exc.exit_code)
    if isinstance(exc, OSError):
        where = exc.filename or (run_dir if resume else None)
        if exc.errno in DISK_ERRORS:
            after = (f"everything recorded before it is kept. Free space or fix the disk, then continue with: {resume}"
                     if resume else "nothing already recorded is lost. Free space or fix the disk, then try again")
            return Explained(f"could not write {where or 'a file'} ({exc.strerror}); {after}", 1)
        return Explained(f"{where or 'a file'}: {exc.strerror or exc}; check the path and its permissions", 2)
    return None
