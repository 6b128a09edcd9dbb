"""User-facing errors and exit codes.

Exit codes (documented in README.md and docs/exit-codes.md):
  0  nothing at or above the fail threshold
  1  findings at or above the fail threshold (or, for diff/verify/check, a failed gate)
  2  a user-caused error (bad config, missing path, unreadable input) or an incomplete scan
  3  an internal error (a bug: please report it with --debug output)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 2
EXIT_INTERNAL = 3


class AibomError(Exception):
    """An error the user can fix: what went wrong, where, and what to do."""

    exit_code = EXIT_USAGE

    def __init__(self, what: str, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.what} ({self.where})" if self.where else self.what


class ConfigError(AibomError):
    """Bad configuration file or option."""


class UsageError(AibomError):
    """Options that contradict each other (checked before any work is done)."""


class InputError(AibomError):
    """An input (path, AIBOM, baseline) that cannot be read or is not what it should be."""


class NetworkError(AibomError):
    """A network service failed or timed out; names the service."""


def error_lines(what: str, where: str | None = None, hint: str | None = None) -> str:
    """The one error format of every command, on stderr: `error: WHAT (WHERE)` and, when there
    is one, `hint: HINT`."""
    text = f"error: {what} ({where})\n" if where else f"error: {what}\n"
    return text + (f"hint: {hint}\n" if hint else "")
