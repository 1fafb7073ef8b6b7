"""Exact money: yuan text or Decimal to integer fen and back, and 4-decimal rates; never float."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from .errors import InvalidInput, N_

# 10^15 fen (10 trillion yuan) keeps every amount and every sum of a few thousand amounts far
# inside a signed 64-bit column, and every amount exactly representable as a double (< 2^53).
MAX_FEN = 10**15

# Full-width forms typed by Chinese input methods in full-width mode are accepted: refusing
# "１２３４．５６" would only make people retype the same number. We translate exactly these
# characters rather than applying NFKC, which would also turn "1²" into "12".
_FULL_WIDTH = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)},
     "．": ".", "，": ",", "￥": "¥", "－": "-", "\u3000": " "}
)
# ASCII digits only: Decimal() would happily read Arabic-Indic or other Unicode digits.
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
_GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]{1,2})?")


class MoneyError(InvalidInput, ValueError):
    """A money value that cannot be taken as an exact amount; the message is for the user."""


def _refuse_float(value: object) -> None:
    if isinstance(value, float):
        raise TypeError("float is never accepted for money; pass a str or Decimal")
    if isinstance(value, bool):
        raise TypeError("bool is not an amount")


def _check_range(fen: int, allow_negative: bool) -> int:
    if fen < 0 and not allow_negative:
        raise MoneyError(N_("金额不能为负数"))
    if abs(fen) >= MAX_FEN:
        raise MoneyError(N_("金额过大"))
    return fen


def parse_yuan(text: str, *, allow_negative: bool = False) -> int:
    """Parse an amount in yuan typed by a person ("1234.5", "1,234.56", "¥1234", "１２３４．５６")
    into integer fen.

    Accepted: surrounding spaces, a leading ¥/￥, a trailing 元, correctly grouped thousands
    separators, at most two decimals, a leading minus only with allow_negative.
    Refused with MoneyError: more decimals, exponents, NaN/Infinity, ".5" or "5.", stray signs.
    """
    _refuse_float(text)
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    s = text.translate(_FULL_WIDTH).strip()
    negative = s.startswith("-")
    if negative:
        s = s[1:].lstrip()
    if s.startswith("¥"):
        s = s[1:].lstrip()
    if s.endswith("元"):
        s = s[:-1].rstrip()
    if not s:
        raise MoneyError(N_("请输入金额"))
    if _PLAIN.fullmatch(s) is None and _GROUPED.fullmatch(s) is None:
        if re.fullmatch(r"[0-9,]*\.[0-9]{3,}", s):
            raise MoneyError(N_("金额最多保留两位小数（精确到分）"))
        raise MoneyError(N_("金额格式不正确，应为以元为单位的数字，例如 1234.56"))
    whole, _, cents = s.replace(",", "").partition(".")
    if len(whole) > 20:
        raise MoneyError(N_("金额过大"))
    fen = int(whole) * 100 + int(cents.ljust(2, "0") or "0")
    return _check_range(-fen if negative else fen, allow_negative)


def fen_from_decimal(amount: Decimal, *, allow_negative: bool = False) -> int:
    """Convert a Decimal amount in yuan to fen; refuse non-finite values and sub-fen remainders."""
    _refuse_float(amount)
    if not isinstance(amount, Decimal):
        raise TypeError(f"expected Decimal, got {type(amount).__name__}")
    if not amount.is_finite():
        raise MoneyError(N_("金额不是有效数字"))
    # Bound first so that scaling below stays exact within the default 28-digit context.
    if abs(amount) >= Decimal(MAX_FEN) / 100:
        raise MoneyError(N_("金额过大"))
    scaled = amount.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise MoneyError(N_("金额最多保留两位小数（精确到分）"))
    return _check_range(int(scaled), allow_negative)


def yuan_to_fen(value: str | Decimal, *, allow_negative: bool = False) -> int:
    """Yuan as text or Decimal to fen. An int is refused: it is ambiguous between yuan and fen."""
    _refuse_float(value)
    if isinstance(value, Decimal):
        return fen_from_decimal(value, allow_negative=allow_negative)
    if isinstance(value, str):
        return parse_yuan(value, allow_negative=allow_negative)
    if isinstance(value, int):
        raise TypeError("an int is ambiguous (yuan or fen?): pass str or Decimal yuan")
    raise TypeError(f"expected str or Decimal, got {type(value).__name__}")


def fen_from_number(value: int | float, *, allow_negative: bool = False) -> int:
    """Fen from a spreadsheet's numeric cell holding yuan (int or float).

    Why a float is safe here: an xlsx stores a number as the decimal text of an IEEE double and
    openpyxl reads it back with float(). Python's str(float) is the shortest decimal string that
    round-trips to the same double, so a cell typed as 1234.56 gives back exactly "1234.56", and
    Decimal of that string is exact. Any value that is not a whole number of fen after that
    conversion (e.g. 0.30000000000000004 from a formula) is refused instead of rounded, and
    MAX_FEN keeps amounts below 2^53, where every double with two decimals still prints exactly.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected int or float from a numeric cell, got {type(value).__name__}")
    if isinstance(value, int):
        return _check_range(value * 100, allow_negative)
    try:
        return fen_from_decimal(Decimal(str(value)), allow_negative=allow_negative)
    except InvalidOperation as exc:  # pragma: no cover - str(float) is always parseable
        raise MoneyError(N_("金额不是有效数字")) from exc


def fen_to_decimal(fen: int) -> Decimal:
    """Fen to an exact Decimal amount in yuan with two decimals."""
    _check_int(fen)
    return Decimal(fen).scaleb(-2)


def _check_int(fen: object) -> None:
    _refuse_float(fen)
    if not isinstance(fen, int):
        raise TypeError(f"fen must be int, got {type(fen).__name__}")


def format_fen(fen: int, *, grouping: bool = True) -> str:
    """Display fen as yuan with two decimals: 123456 -> "1,234.56" (no grouping: "1234.56")."""
    if type(fen) is not int:  # a page shows hundreds of amounts: the full check only when it can fail
        _check_int(fen)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    whole_text = f"{whole:,}" if grouping else str(whole)
    return f"{sign}{whole_text}.{cents:02d}"


def _div_half_up(numerator: int, denominator: int, scale: int) -> int:
    """round(numerator * scale / denominator) with halves away from zero, in exact integers."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator) * scale, abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


def rate(numerator_fen: int, denominator_fen: int) -> str | None:
    """A ratio as a string with 4 decimals, rounded half-up ("0.8125"); None when dividing by 0."""
    _check_int(numerator_fen)
    _check_int(denominator_fen)
    if denominator_fen == 0:
        return None
    q = _div_half_up(numerator_fen, denominator_fen, 10_000)
    sign = "-" if q < 0 else ""
    whole, frac = divmod(abs(q), 10_000)
    return f"{sign}{whole}.{frac:04d}"


def rate_bp(numerator: int, denominator: int) -> int | None:
    """A ratio in basis points (1/10000), rounded half-up; None when dividing by 0."""
    _check_int(numerator)
    _check_int(denominator)
    if denominator == 0:
        return None
    return _div_half_up(numerator, denominator, 10_000)
