"""Unified social credit code (统一社会信用代码, GB 32100-2015): check character and region."""
from __future__ import annotations
from .errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Weights of positions 1–17 are 3^(i−1) mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


class USCCError(InvalidInput, ValueError):
    """A USCC that fails validation; the message is Chinese and fit to show beside the field."""


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """Strip surrounding blanks and upper-case, the only leniency we allow when a code is typed."""
    return code.strip().upper()


def validate(code: str) -> str:
    """Return the normalised code or raise USCCError explaining what is wrong."""
    code = normalise(code)
    if len(code) != 18:
        raise USCCError("统一社会信用代码应为18位")
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        raise USCCError(f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}（不使用I、O、Z、S、V）")
    if not code[2:8].isdigit():
        raise USCCError("统一社会信用代码第3至8位应为行政区划代码（数字）")
    if check_character(code[:17]) != code[17]:
        raise USCCError("统一社会信用代码校验位错误，请核对")
    return code


def is_valid(code: str) -> bool:
    """True when `code` passes validate()."""
    try:
        validate(code)
    except USCCError:
        return False
    return True


def region_code(code: str) -> str:
    """Positions 3–8: the GB/T 2260 code of the registering region."""
    return normalise(code)[2:8]


def make(prefix2: str, region: str, body9: str) -> str:
    """Build a valid code from its parts (used by demo data and test factories)."""
    first17 = prefix2 + region + body9
    if len(first17) != 17:
        raise ValueError("prefix2 + region + body9 must be 17 characters")
    return first17 + check_character(first17)
