"""Read-only lists of accounts for the authority's pages: the jurisdiction's applicant accounts by search."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select, or_, select

from ..models import Organisation, Role, User


@dataclass(frozen=True)
class AccountSearch:
    """What the accounts page was asked for (?q=): control characters dropped, at most 40 characters."""

    q: str = ""

    @classmethod
    def parse(cls, raw: str | None) -> AccountSearch:
        return cls(re.sub(r"[\x00-\x1f\x7f]", "", raw or "").strip()[:40])


def jurisdiction_accounts(authority_code: str | None, search: AccountSearch) -> Select:
    """The jurisdiction's applicant accounts matching the search, by organisation and username."""
    stmt = (select(User).join(Organisation, User.organisation_id == Organisation.id)
            .where(User.role == Role.APPLICANT, Organisation.authority_code == authority_code)
            .order_by(Organisation.name, User.username))
    if search.q:
        stmt = stmt.where(or_(User.username.contains(search.q), Organisation.name.contains(search.q),
                              User.display_name.contains(search.q)))
    return stmt
