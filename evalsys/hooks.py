"""Per-request hooks: request id, session loading, access control by declaration, headers, teardown."""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from .boundary import commit_request
from .extensions import db
from .permissions import PUBLIC, TokenRoles, declared_roles
from .services import audit
from .services.form_stash import stash_form, take_stashed_form
from .services.notify import deliver_if_queued

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths may be redirected to (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _stash_form(user_id: int) -> None:
    """Keep the input of a form posted after the session expired, to restore after login."""
    pairs = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    if stash_form(user_id, request.path, pairs) is not None:
        db.session.commit()
        session["stash_notice"] = True


def restore_stashed_form() -> None:
    """On a page shown again after login, hand the input kept at expiry to the page's form (once).

    BaseForm takes it from ``g.restored_formdata``; the form itself never touches the database.
    """
    if request.method != "GET" or not current_user or not current_user.is_authenticated:
        return
    if not g.get("has_form_stash"):  # read with the session (services.auth.load_session)
        return
    pairs = take_stashed_form(current_user.id, request.path)
    if pairs is None:
        return
    db.session.commit()
    session.pop("stash_notice", None)
    g.restored_formdata = MultiDict(pairs)


def refuse_control_characters_in_path():
    """No page's address holds a control character; looking one up would be a database error (PostgreSQL
    refuses NUL in a parameter), so such a path is simply not found."""
    if any(ord(c) < 32 or ord(c) == 127 for c in request.path):
        abort(404)


def check_access():
    """Refuse every request whose endpoint did not declare the roles allowed to use it."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None:
        return None  # 404/405 handled by Flask's routing
    allowed = declared_roles(view)
    if allowed is None:
        abort(403)  # deny by default; the 403 handler writes the audit record
    if allowed == PUBLIC or isinstance(allowed, TokenRoles):
        return None  # the API authenticates its bearer tokens itself (evalsys/api/auth.py)
    # Resolve the proxy first: loading the user touches (or expires) the session row, and that
    # must be committed here, since GET views commit nothing and teardown rolls back.
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if db.session.dirty or db.session.new or db.session.deleted:
        # Persist the session touch (at most once a minute) or expiry done while loading the user.
        # Only then: a commit expires every loaded object, and the user would be read again.
        db.session.commit()
    if not user.is_authenticated:
        expired = g.get("expired_user_id")
        if request.method not in SAFE_METHODS:
            if expired:
                _stash_form(expired)
            else:
                abort(400)
        nxt = request.full_path if request.query_string else request.path
        if request.method not in SAFE_METHODS:
            nxt = request.path
        return redirect(url_for("auth.login", next=nxt))
    if user.role not in allowed:
        abort(403)
    return None


def add_security_headers(response):
    """CSP without inline scripts, nosniff, framing, referrer; no-store on authenticated pages."""
    h = response.headers
    h.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
    )
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "SAMEORIGIN")
    h.setdefault("Referrer-Policy", "same-origin")
    if current_app.config["ENV_NAME"] == "production":
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user and current_user.is_authenticated:
        h["Cache-Control"] = "no-store"
    h["X-Request-ID"] = g.get("request_id", "")
    return response


def finish_request(exc: BaseException | None) -> None:
    """End the request's transaction, then write security events and chain new audit records."""
    try:
        db.session.rollback()  # after an unhandled error nothing was committed (boundary.commit_request)
        audit.flush_security_events()
        if g.pop("audit_dirty", False):
            audit.chain_pending()
        deliver_if_queued()
    except Exception:  # never let bookkeeping turn a response into a 500 after the fact
        db.session.rollback()
        current_app.logger.exception("audit bookkeeping failed for request %s", g.get("request_id"))


def assign_request_id() -> None:
    """Give every request an id, echoed in X-Request-ID, audit records and error pages."""
    g.request_id = str(uuid.uuid4())


def register_hooks(app: Flask) -> None:
    """Install access control (after CSRF, which create_app initialises first) and the response hooks."""

    app.before_request(refuse_control_characters_in_path)
    app.before_request(check_access)
    app.before_request(restore_stashed_form)
    app.after_request(add_security_headers)
    app.after_request(commit_request)  # runs first (after_request runs in reverse order): headers apply to its answer
    app.teardown_request(finish_request)
