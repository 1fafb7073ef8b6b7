"""Test builders with keyword defaults: organisations, users of every role, sessions."""
from __future__ import annotations

import itertools
from functools import lru_cache

from evalsys.domain import uscc
from evalsys.extensions import db
from evalsys.models import AccountState, Organisation, OrganisationState, Role, User
from evalsys.services.passwords import hash_password
from tests.conftest import TEST_PASSWORD

_seq = itertools.count(1)


@lru_cache(maxsize=8)
def _hash(password: str) -> str:
    # Hashing is deliberately slow; one hash per distinct test password is enough.
    return hash_password(password)


def make_uscc(region: str = "320500", serial: int | None = None) -> str:
    """A valid company USCC registered in `region`."""
    n = next(_seq) if serial is None else serial
    return uscc.make("91", region, f"T{n:08d}")


def make_org(*, name: str | None = None, region: str = "320500", authority_code: str = "320000",
             state: OrganisationState = OrganisationState.VERIFIED, code: str | None = None) -> Organisation:
    """An organisation (verified by default) of the given authority."""
    n = next(_seq)
    org = Organisation(uscc=code or make_uscc(region, n), name=name or f"测试电子商务有限公司{n}",
                       authority_code=authority_code, state=state)
    db.session.add(org)
    db.session.flush()
    return org


def make_user(role: Role = Role.APPLICANT, *, username: str | None = None, password: str = TEST_PASSWORD,
              organisation: Organisation | None = None, authority_code: str | None = None,
              state: AccountState = AccountState.ACTIVE, is_org_main: bool = True, commit: bool = True) -> User:
    """A user of `role`; applicants get an organisation, authorities default to 江苏 (320000)."""
    n = next(_seq)
    if role == Role.APPLICANT and organisation is None:
        organisation = make_org()
    if role == Role.AUTHORITY and authority_code is None:
        authority_code = "320000"
    user = User(username=username or f"{role.value}{n}", password_hash=_hash(password), role=role, state=state,
                display_name=f"测试用户{n}", organisation_id=organisation.id if organisation else None,
                authority_code=authority_code, is_org_main=is_org_main if role == Role.APPLICANT else False,
                email=f"user{n}@example.com")
    db.session.add(user)
    db.session.flush()
    if commit:
        db.session.commit()
        detach(user)
    return user


def detach(obj):
    """Load every column and eager relationship, then detach, so the object is usable after the context ends."""
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj
