"""Errors a user can cause: each carries one clear line and the exit code the CLI uses.

    raise UsageError("--batch must be at least 1")       # exit 2: the command line was wrong
    raise RunError("checkpoint.pt is truncated")          # exit 1: something went wrong running
"""


class AedemoError(Exception):
    """A problem the user can act on; str(error) is the one line shown."""

    exit_code = 1


class RunError(AedemoError):
    """Something failed while running (a bad file, a diverging run): exit 1."""

    exit_code = 1


class UsageError(AedemoError, ValueError):
    """The request itself is wrong (unknown name, value out of range): exit 2."""

    exit_code = 2


class Interrupted(AedemoError):
    """The user pressed Ctrl-C; work was saved first: exit 130."""

    exit_code = 130
