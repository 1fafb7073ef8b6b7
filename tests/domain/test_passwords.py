"""The password policy table, and hashing that never truncates (argon2id through services.passwords)."""
from __future__ import annotations

import pytest

from evalsys.domain import passwords as policy

GOOD = "Kx7#mQ2!vR9pLw"


def _kinds(found: list[str]) -> set[str]:
    keys = {"至少12": "short", "超过": "long", "控制字符": "control", "三类": "classes", "常见": "common",
            "用户名": "username"}
    return {v for k, v in keys.items() for msg in found if k in msg}


@pytest.mark.parametrize("password, username, expected", [
    (GOOD, "", set()),
    ("Kx7#mQ2!vR9", "", {"short"}),               # 11 characters
    ("Kx7#mQ2!vR9p", "", set()),                  # 12 characters
    ("kx7mq2vr9plw", "", {"classes"}),            # lower + digit
    ("kxqmvrplwabc!", "", {"classes"}),           # lower + symbol
    ("KXQMVRPLWABC1", "", {"classes"}),           # upper + digit
    ("kx7#mq2!vr9plw", "", set()),                # lower + digit + symbol
    ("KX7#MQ2!VR9PLW", "", set()),                # upper + digit + symbol
    ("Kxqmvrplwabc7", "", set()),                 # lower + upper + digit
    ("数据安全Kx7mQ2vR9pL", "", set()),            # non-ASCII counts as "other"
    ("Password2015!", "", {"common"}),
    ("password2015!", "", {"common"}),           # 3 classes, still common
    ("password2015", "", {"classes", "common"}),
    ("P@ssword2015", "", set()),                  # not a trailing-variant of a common stem
    ("Qwerty123456!", "", {"common"}),
    ("Iloveyou2020#", "", {"common"}),
    ("Zhangsan#2024x", "zhangsan", {"username"}),
    ("xxZHANGSANxx#7", "zhangsan", {"username"}),
    ("Kx7#mQ2!vR9pLw", "ab", set()),              # usernames under 3 characters are not matched
    ("Kx7#mQ2!\x00vR9pLw", "", {"control"}),
    ("Kx7#mQ2!\tvR9pLw", "", {"control"}),
    ("Kx7#mQ2!\x7fvR9pLw", "", {"control"}),
    ("Kx7#mQ2!" + "a" * 249, "", {"long"}),       # 257 characters
    ("Kx7#mQ2!" + "a" * 248, "", set()),          # 256 characters
    ("", "", {"short", "classes"}),
])
def test_policy_table(password, username, expected):
    found = policy.problems(password, username=username)
    assert _kinds(found) == expected, found
    assert all(isinstance(m, str) and m for m in found)


def test_every_refusal_is_chinese():
    found = policy.problems("password", username="password")
    assert found and all(any("\u4e00" <= ch <= "\u9fff" for ch in msg) for msg in found)


@pytest.fixture
def hashing_app(tmp_path):
    """An app for the hashing service; create_app never touches the database, so none is needed."""
    from evalsys import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'none.db'}",
                       "INSTANCE_PATH": str(tmp_path / "instance")})


def test_hashing_never_truncates(hashing_app):
    from evalsys.services.passwords import check_password, hash_password, needs_rehash

    prefix = "Kx7#mQ2!" + "a" * 64  # 72 bytes, bcrypt's cut-off
    first, second = prefix + "Tail-1", prefix + "Tail-2"
    assert len(prefix.encode()) == 72
    with hashing_app.app_context():
        h1, h2 = hash_password(first), hash_password(second)
        assert h1 != h2
        assert h1.startswith("$argon2id$")
        assert "m=19456" in h1 and "t=2" in h1 and "p=1" in h1
        assert check_password(h1, first)
        assert not check_password(h1, second)
        assert not check_password(h2, first)
        assert not needs_rehash(h1)
        assert not check_password("not-a-hash", first)  # a malformed stored hash is a refusal, not an error


def test_multibyte_passwords_past_72_bytes_still_count(hashing_app):
    from evalsys.services.passwords import check_password, hash_password

    prefix = "数据安全" * 6  # 72 bytes of UTF-8
    with hashing_app.app_context():
        h = hash_password(prefix + "Aa1!")
        assert check_password(h, prefix + "Aa1!")
        assert not check_password(h, prefix + "Aa1?")
