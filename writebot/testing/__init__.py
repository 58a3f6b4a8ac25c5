"""Test doubles for the Messages API, used by the test suite and the benchmarks; nothing here runs in a real run."""
