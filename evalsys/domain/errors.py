"""The refusal every layer raises: a message for people, the problems behind it, and an HTTP status.

Services and domain rules raise subclasses of `DomainError` when an action is not allowed (state,
quota, deadline, stale version, missing document, invalid input). The web layer has one handler for
all of them: it rolls the request back and shows the message on the page where the action was taken;
the API turns the same error into a problem document. Nothing here knows about HTTP beyond the number.
"""
from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """An expected refusal.

    `message` is Chinese and safe to show; `problems` lists the individual reasons (each shown as its
    own line, never joined into one string); `status` is the HTTP status the refusal maps to:
    409 for a state, quota, deadline or version conflict (the default), 422 for input that cannot be
    accepted, 403 or 404 where the object is not the user's to see.
    """

    status: int = 409

    def __init__(self, message: str = "", problems: Iterable[str] = (), *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = [p for p in problems if p]
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        """One line for logs and the command line: the message, then the problems."""
        if not self.problems:
            return self.message
        joined = "；".join(self.problems)
        return f"{self.message}{joined}" if self.message.endswith("：") else "；".join(self.lines())

    def lines(self) -> list[str]:
        """The message followed by each problem (what a page shows)."""
        return [line for line in (self.message, *self.problems) if line]


class InvalidInput(DomainError):
    """Input that cannot be accepted (a file, a figure, a code); shown beside the form."""

    status = 422


class StoredFileMismatch(DomainError):
    """A signed report whose file is missing or no longer matches its recorded digest (the caller records
    the security event); nothing is served."""

    def __init__(self) -> None:
        super().__init__("报告文件已丢失或与登记的摘要不符，已记录并通知管理员")
