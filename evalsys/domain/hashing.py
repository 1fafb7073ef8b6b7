"""The hash algorithms the system may record file digests and audit MACs with: SHA-256 and SM3 (GB/T 32905).

Every stored digest and every audit-chain link remembers the algorithm that made it, so switching the
setting (EVALSYS_HASH_ALGORITHM) only changes what new rows use; old rows still verify with theirs.
SM3 comes from OpenSSL through hashlib (OpenSSL 1.1.1+ builds it in).
"""
from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from .errors import N_, Message

DEFAULT_ALGORITHM = "sha256"
ALGORITHMS = ("sha256", "sm3")


class UnsupportedAlgorithm(ValueError):
    """An unknown algorithm name, or SM3 asked for on a Python whose OpenSSL lacks it (Chinese message)."""


def check_algorithm(name: str | None) -> str:
    """The normalised algorithm name; raise UnsupportedAlgorithm when it is unknown or unavailable."""
    return _check(name or DEFAULT_ALGORITHM)


@lru_cache(maxsize=16)
def _check(name: str) -> str:
    algorithm = name.strip().lower()
    if algorithm not in ALGORITHMS:
        raise UnsupportedAlgorithm(Message(N_("不支持的摘要算法：%(name)s（可选 %(items)s）"),
                                           name=name, items=', '.join(ALGORITHMS)))
    try:
        hashlib.new(algorithm)
    except ValueError:
        raise UnsupportedAlgorithm(Message(N_("当前 Python 的 OpenSSL 不提供 %(algorithm)s 算法"),
                                           algorithm=algorithm)) from None
    return algorithm


def digest(data: bytes, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """Hex digest of `data` with the named algorithm."""
    return hashlib.new(check_algorithm(algorithm), data).hexdigest()


def mac(key: bytes, message: bytes, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """Hex HMAC of `message` (HMAC-SHA256 or HMAC-SM3)."""
    return hmac.new(key, message, check_algorithm(algorithm)).hexdigest()
