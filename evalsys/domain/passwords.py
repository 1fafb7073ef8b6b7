"""Password policy of security.md: length, character classes, common passwords, no truncation."""
from __future__ import annotations

import string
from functools import lru_cache
from .errors import N_, Message

MIN_LENGTH = 12
# Long enough for any passphrase, short enough that hashing cannot be used to exhaust the server.
MAX_LENGTH = 256


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common leaked passwords, shipped with zxcvbn (lower-cased)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def character_classes(password: str) -> int:
    """How many of the four classes (lower, upper, digit, other) the password uses."""
    classes = [
        any(c in string.ascii_lowercase for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c.isdigit() for c in password),
        any(not (c.isascii() and c.isalnum()) for c in password),
    ]
    return sum(classes)


def _stem(password: str) -> str:
    """The password without trailing digits and symbols, to catch 'Password2015!'-style variants."""
    return password.lower().rstrip(string.digits + string.punctuation + " ")


def problems(password: str, *, username: str = "") -> list[str]:
    """Every reason the password is refused, in Chinese; empty when it is acceptable."""
    found: list[str] = []
    if len(password) < MIN_LENGTH:
        found.append(Message(N_("密码至少%(count)s个字符"), count=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        found.append(Message(N_("密码不能超过%(count)s个字符"), count=MAX_LENGTH))
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        found.append(N_("密码不能包含控制字符"))
    if character_classes(password) < 3:
        found.append(N_("密码须包含小写字母、大写字母、数字、符号中的至少三类"))
    common = _common_passwords()
    if password.lower() in common or _stem(password) in common:
        found.append(N_("密码过于常见，请换一个"))
    if username and len(username) >= 3 and username.lower() in password.lower():
        found.append(N_("密码不能包含用户名"))
    return found
