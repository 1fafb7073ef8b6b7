"""How numbers reach people: money in 元 (or 万元), rates as percentages, scores at their rounding,
plain decimals without scientific notation, a unit after every value, a code beside its name.

One set of pure functions used by the page filters, the PDF reports and the spreadsheets, so a value
reads the same everywhere. Exact inputs (int fen, Decimal, Fraction) stay exact; a float is first
read as its shortest decimal text, so 0.1 prints as 0.1 and never as 0.1000000000000000055.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

Number = int | float | Decimal | Fraction | str

#: Placeholder for a value that does not exist (a rate over zero, a missing figure).
MISSING = "—"


def to_decimal(value: Number) -> Decimal:
    """An exact Decimal for any number we display (float through its shortest decimal text; a
    decimal text such as the fund rates "0.9000" as written)."""
    if isinstance(value, bool):
        raise TypeError("bool is not a number to display")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise TypeError(f"not a decimal text: {value!r}") from None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    raise TypeError(f"not a number: {type(value).__name__}")


def decimal_text(value: Number | None, places: int | None = None, *, grouping: bool = True) -> str:
    """A plain decimal: half-up to `places` decimals (None keeps what the value has, trailing zeros
    of a float dropped), thousands separators, never an exponent. None → "—"."""
    if value is None:
        return MISSING
    d = to_decimal(value)
    if not d.is_finite():
        return MISSING
    if places is not None:
        try:
            d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        except InvalidOperation:  # beyond the context's precision: only absurd magnitudes
            return MISSING
    elif isinstance(value, float):
        d = d.normalize()
    if d == 0:
        d = abs(d)  # never "-0.00"
    sign = "-" if d < 0 else ""
    text = f"{abs(d):f}"
    whole, _, frac = text.partition(".")
    if grouping:
        whole = f"{int(whole):,}"
    return sign + whole + (f".{frac}" if frac else "")


def yuan(fen: int | None, *, unit: bool = True) -> str:
    """Integer fen as yuan with separators and two decimals: 123456789 → "1,234,567.89 元"."""
    if fen is None:
        return MISSING
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("money is integer fen")
    text = decimal_text(Decimal(fen).scaleb(-2), 2)
    return f"{text} 元" if unit else text


def wan_yuan(fen: int | None, places: int = 2, *, unit: bool = True) -> str:
    """Integer fen in 万元 for dashboards: 1240000000 → "1,240.00 万元"."""
    if fen is None:
        return MISSING
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("money is integer fen")
    text = decimal_text(Decimal(fen).scaleb(-6), places)
    return f"{text} 万元" if unit else text


def percent(value: Number | None, places: int = 1) -> str:
    """A share or rate given as a fraction (0.9 → "90.0%"); None → "—"."""
    if value is None:
        return MISSING
    return decimal_text(to_decimal(value) * 100, places) + "%"


def basis_points(bp: int | None, places: int = 2) -> str:
    """A ratio stored in basis points (1/10000) as a percentage: 8125 → "81.25%"."""
    if bp is None:
        return MISSING
    if type(bp) is int and places == 2:  # the dashboards' rates, one per cell: exact in integers
        whole, hundredths = divmod(abs(bp), 100)
        return f"{'-' if bp < 0 else ''}{whole:,}.{hundredths:02d}%"
    return decimal_text(Decimal(bp).scaleb(-2), places) + "%"


def ratio_percent(numerator: int, denominator: int, places: int = 1) -> str:
    """numerator / denominator as a percentage, exact; "—" when the denominator is 0."""
    if denominator == 0:
        return MISSING
    return percent(Fraction(numerator, denominator), places)


def score(value: Number | None, places: int = 2) -> str:
    """A score at its rounding (2 decimals for points and totals, 6 for other methods' scores)."""
    return decimal_text(value, places, grouping=False)


def with_unit(value: Number | None, unit: str, places: int | None = None) -> str:
    """A value and its unit: (12000, "人") → "12,000 人"; percentages take no space ("90.0%")."""
    if value is None:
        return MISSING
    text = decimal_text(value, places)
    if unit in ("%", "％"):
        return text + "%"
    return f"{text} {unit}" if unit else text


def code_label(name: str, code: str, *, lang: str = "zh") -> str:
    """A name with its code beside it: "楼堂馆所（X-BLD）"; ASCII brackets in English text."""
    if not code or code == name:
        return name
    if not name:
        return code
    return f"{name} ({code})" if lang == "en" else f"{name}（{code}）"


def days_left(deadline_date, today) -> int:
    """Whole calendar days from `today` to `deadline_date` (0 on the day, negative once past)."""
    return (deadline_date - today).days
