"""Where each role lands, and the marker for menu labels."""
from __future__ import annotations

from flask import url_for
from flask_login import current_user

from ...models import Role

HOME_ENDPOINTS = {
    Role.APPLICANT: "applicant.home",
    Role.AUTHORITY: "authority.home",
    Role.REVIEWER: "review.home",
    Role.ADMIN: "admin.home",
    Role.SECADMIN: "security.home",
    Role.AUDITOR: "audit.home",
}


def home_url() -> str:
    """The landing page of the current user's role, or the public front page."""
    if current_user.is_authenticated:
        return url_for(HOME_ENDPOINTS[current_user.role])
    return url_for("public.index")


def N_(message: str) -> str:
    """Mark a string for extraction into the catalogues; it is translated where it is shown."""
    return message
