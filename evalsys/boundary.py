"""The request's one transaction: views and services change the session, the request commits once.

After the view (and any error handler) produced its response, `commit_request` commits when the
response is a success (status below 400) and the view did not mark the request as refused; otherwise
everything is rolled back. A failure of the commit itself (a stale version, a constraint) is handled
like any exception raised in the view. Security events and the audit chain are written afterwards,
at teardown (hooks.finish_request), so they never depend on the request's outcome.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g
from sqlalchemy.orm.exc import StaleDataError

from .domain.errors import N_, DomainError, localize
from .extensions import db
from .i18n import gettext

STALE_MESSAGE = N_("数据已被他人修改，请刷新后重试")


def discard_changes() -> None:
    """Throw away what this request changed so far and commit nothing at the end.

    For a view that shows a refusal on its own page with a success status (a long form re-rendered
    with the user's input and the problems)."""
    db.session.rollback()
    g.keep_nothing = True


def refusal_returns_to(url: str) -> None:
    """Name the page where this action is taken: a refusal is shown there when the request does not say
    where it came from (no same-site Referer)."""
    g.page_of_action = url


def audit_refusal(event: str, **kwargs: Any) -> None:
    """Declare that a refusal of this action is itself a security event (written in its own
    transaction, with the refusal's message as the reason)."""
    g.refusal_event = (event, kwargs)


def record_refusal(message: str) -> None:
    """Write the security event declared by `audit_refusal`, if any (called by the refusal handlers)."""
    from .services import audit

    declared = g.pop("refusal_event", None)
    if declared:
        event, kwargs = declared
        audit.record_security(event, outcome="failure", detail={"reason": message}, **kwargs)


def after_commit(fn: Callable[..., Any], *args: Any) -> None:
    """Run `fn(*args)` once the request's transaction has been committed (e.g. send a mail)."""
    g.setdefault("after_commit", []).append((fn, args))


@dataclass
class Refused:
    """The outcome of `attempt`: empty when the action succeeded, else the lines to show and the
    field errors (field name → message) the refusal carried."""

    lines: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return bool(self.lines)

    def field_errors(self) -> dict[str, str]:
        """The field errors, or else each line under its own key (for pages that list errors by field)."""
        return self.fields or {f"_{i}": line for i, line in enumerate(self.lines)}


def attempt(action: Callable[[], Any], *, obj: Any = None) -> Refused:
    """Run a view's one service call where a refusal is shown on the same form (in the page's language).

    When it succeeds its changes are flushed (committed at the end of the request) and the result is
    empty; when it is refused its changes are discarded and the result holds the message, each problem
    and any field errors, to show beside the form with the user's input kept. A stale version gets the
    stale message and is audited as a stale edit."""
    from .i18n import refusal_lines
    from .services import audit

    try:
        action()
        db.session.flush()
    except DomainError as e:
        discard_changes()
        record_refusal(e.message)
        fields = {k: localize(v, gettext) for k, v in (getattr(e, "errors", None) or {}).items()}
        return Refused(refusal_lines(e), fields, e)
    except StaleDataError:
        discard_changes()
        audit.record_security("stale_edit", obj=obj, outcome="failure", detail={"path": _path()})
        return Refused([gettext(STALE_MESSAGE)])
    g.pop("keep_nothing", None)  # what an earlier refusal left was rolled back; this success is kept
    return Refused()


def _path() -> str:
    from flask import request

    return request.path


def commit_request(response):
    """after_request: commit a successful request once, roll back any other; then run after-commit work."""
    pending = g.pop("after_commit", [])
    if response.status_code >= 400 or g.pop("keep_nothing", False):
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except Exception as e:  # noqa: BLE001 - handled like an exception of the view (stale, constraint, ...)
        db.session.rollback()
        return current_app.make_response(current_app.handle_user_exception(e))
    for fn, args in pending:
        fn(*args)
    return response
