"""Password hashing with argon2id at the configured (≥ OWASP minimum) cost."""
from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID)


def hasher() -> PasswordHasher:
    """The hasher for the current application's cost settings."""
    c = current_app.config
    return _hasher(c["ARGON2_TIME_COST"], c["ARGON2_MEMORY_COST_KIB"], c["ARGON2_PARALLELISM"])


def hash_password(password: str) -> str:
    """An argon2id hash of the whole password (argon2 does not truncate)."""
    return hasher().hash(password)


def check_password(stored: str, password: str) -> bool:
    """True when the password matches; never raises for a malformed stored hash."""
    try:
        return hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the stored hash used weaker parameters than the current ones."""
    try:
        return hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True


_DUMMY: dict[str, str] = {}


def burn_time(password: str) -> None:
    """Verify against a fixed hash so an unknown username takes as long as a wrong password."""
    h = hasher()
    key = repr(h)
    if key not in _DUMMY:
        _DUMMY[key] = h.hash("dummy-password-for-timing")
    check_password(_DUMMY[key], password)
