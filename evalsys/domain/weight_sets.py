"""Weight versions as exact decimals: checking direct weights, AHP over level-1 groups, comparing.

Pure Python on a CriteriaSystem (no Flask, no SQLAlchemy); `services/weights.py` stores the result.

AHP design (issue 3 item 9): the pairwise matrix compares the **level-1 groups** that give points
(in file order), never the indicators one by one — 4–6 groups need 6–15 judgements, while 25
indicators would need 300 and routinely break Saaty's consistency limit. An indicator's weight
is then ``100 · w_group · share``, where ``share`` is its default weight (or the category's
override) divided by the sum of its group's defaults — so the file's judgement *inside* a group is
kept and the AHP decides the balance *between* groups. A group whose defaults are all zero shares
its AHP weight equally. Weights are quantised half-up to 6 decimal places and stored as text.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from .criteria import CriteriaSystem, Group
from .errors import InvalidInput, Message
from .marking import N_
from .weights import AhpResult, InconsistentJudgements, WeightError, ahp_weights

PLACES = Decimal("0.000001")  # stored weights and shares: 6 decimal places
MAX_WEIGHT = Decimal(1000)
MAX_DECIMALS = 6

# Saaty's 1–9 scale with reciprocals, strongest preference for the left element first.
SAATY_SCALE: tuple[tuple[str, Fraction], ...] = tuple(
    [(str(n), Fraction(n)) for n in range(9, 1, -1)] + [("1", Fraction(1))]
    + [(f"1/{n}", Fraction(1, n)) for n in range(2, 10)])
SAATY_MEANING = {1: N_("同等重要"), 3: N_("稍微重要"), 5: N_("明显重要"), 7: N_("强烈重要"), 9: N_("极端重要")}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class WeightSetError(InvalidInput):
    """Refused weights; ``by_field`` maps an indicator id (or "" for the whole set) to Chinese text, shown
    beside its field; ``problems`` lists the same texts (the refusal every layer knows)."""

    def __init__(self, problems: Mapping[str, str], cr: float | None = None) -> None:
        self.by_field = dict(problems)
        self.cr = cr
        super().__init__(N_("权重未被接受："), list(self.by_field.values()))


@dataclass(frozen=True)
class AhpOutcome:
    """An accepted AHP: the group matrix, its figures and the derived indicator weights."""

    groups: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]
    result: AhpResult
    values: dict[str, Decimal]


@dataclass(frozen=True)
class ComparisonRow:
    """One indicator in a comparison of two weight sets (shares are fractions of the set's total)."""

    indicator_id: str
    title: str
    group: str
    old: Decimal
    new: Decimal
    difference: Decimal
    old_share: Decimal
    new_share: Decimal
    share_difference: Decimal


def decimal_text(value: Decimal) -> str:
    """Canonical exact text of a weight: no exponent, no trailing zeros, never "-0"."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def parse_weight(raw: object) -> Decimal:
    """A weight from form text, an int or a Decimal; ValueError (Chinese) if it is not usable."""
    if isinstance(raw, bool) or isinstance(raw, float):
        raise ValueError(N_("须以十进制文本给出"))
    text = raw.strip() if isinstance(raw, str) else str(raw)
    if not text:
        raise ValueError(N_("请填写权重"))
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(N_("须为数字")) from None
    if not value.is_finite():
        raise ValueError(N_("须为有限的数字"))
    if value < 0:
        raise ValueError(N_("不能为负数"))
    if value > MAX_WEIGHT:
        raise ValueError(Message(N_("不能大于 %(maximum)s"), maximum=MAX_WEIGHT))
    if value != 0 and value.normalize().as_tuple().exponent < -MAX_DECIMALS:  # type: ignore[operator]
        raise ValueError(Message(N_("最多 %(count)s 位小数"), count=MAX_DECIMALS))
    return Decimal(decimal_text(value))


def check_direct(system: CriteriaSystem, values: Mapping[str, object]) -> dict[str, Decimal]:
    """Directly set weights: every scored indicator exactly once, each ≥ 0, not all zero."""
    ids = [i.id for i in system.scored_indicators]
    problems: dict[str, str] = {}
    unknown = sorted(k for k in values if k not in ids)
    if unknown:
        problems[""] = Message(N_("不是本体系的计分指标：%(items)s"), items='、'.join(unknown))
    parsed: dict[str, Decimal] = {}
    for ind in system.scored_indicators:
        if ind.id not in values:
            problems[ind.id] = Message(N_("缺少指标“%(title)s”的权重"), title=ind.title)
            continue
        try:
            parsed[ind.id] = parse_weight(values[ind.id])
        except ValueError as exc:
            problems[ind.id] = Message(N_("“%(title)s”的权重%(reason)s"), title=ind.title, reason=exc)
    if not problems and not any(v > 0 for v in parsed.values()):
        problems[""] = N_("权重不能全部为零")
    if problems:
        raise WeightSetError(problems)
    return parsed


def ahp_groups(system: CriteriaSystem) -> tuple[Group, ...]:
    """The groups an AHP matrix compares: the level-1 groups holding scored indicators, file order."""
    scored = {i.group for i in system.scored_indicators}
    return tuple(g for g in system.groups if g.id in scored)


def saaty_value(label: str) -> Fraction:
    """The value of a Saaty-scale label ("9" … "1" … "1/9"); ValueError otherwise."""
    for text, value in SAATY_SCALE:
        if text == label:
            return value
    raise ValueError(N_("须为 1/9 至 9 的萨蒂标度值"))


def saaty_label(value: float) -> str:
    """The scale label nearest to a stored judgement (for showing a stored matrix)."""
    return min(SAATY_SCALE, key=lambda item: abs(float(item[1]) - value))[0]


def ahp_group_weights(system: CriteriaSystem, matrix: Sequence[Sequence[float]],
                      category: str | None = None) -> AhpOutcome:
    """Derive indicator weights from a pairwise matrix over the AHP groups; refuse CR ≥ 0.10."""
    groups = ahp_groups(system)
    n = len(groups)
    if len(matrix) != n or any(len(row) != n for row in matrix):
        raise WeightSetError({"": Message(N_("判断矩阵须为 %(n)s×%(n)s（对应 %(n)s 个一级指标）"), n=n)})
    try:
        result = ahp_weights(matrix)
    except InconsistentJudgements as exc:
        raise WeightSetError({"": Message(N_("判断矩阵一致性不合格：CR = %(cr).4f（须小于 0.10），请调整判断后重新提交"), cr=exc.cr)},
                             cr=exc.cr) from None
    except WeightError as exc:
        raise WeightSetError({"": Message(N_("判断矩阵无效：%(reason)s"), reason=exc)}) from None
    defaults = system.default_weights(category)
    values: dict[str, Decimal] = {}
    for group, group_weight in zip(groups, result.weights):
        members = [i for i in system.scored_indicators if i.group == group.id]
        total = sum(Decimal(str(defaults[i.id])) for i in members)
        for ind in members:
            share = (Decimal(str(defaults[ind.id])) / total) if total > 0 else Decimal(1) / len(members)
            weight = (Decimal(100) * Decimal(repr(group_weight)) * share).quantize(PLACES, ROUND_HALF_UP)
            values[ind.id] = Decimal(decimal_text(weight))
    if not any(v > 0 for v in values.values()):
        raise WeightSetError({"": N_("权重不能全部为零")})
    return AhpOutcome(groups=tuple(g.id for g in groups),
                      matrix=tuple(tuple(float(x) for x in row) for row in matrix),
                      result=result, values=values)


def shares(values: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Each weight's share of the total, half-up to 6 places (zero total → all zero)."""
    total = sum(values.values(), Decimal(0))
    if total == 0:
        return {k: Decimal(0) for k in values}
    return {k: (v / total).quantize(PLACES, ROUND_HALF_UP) for k, v in values.items()}


def compare(system: CriteriaSystem, old: Mapping[str, Decimal], new: Mapping[str, Decimal]
            ) -> list[ComparisonRow]:
    """Per scored indicator: old, new, exact difference and normalised shares (file order)."""
    old_shares, new_shares = shares(old), shares(new)
    rows = []
    for ind in system.scored_indicators:
        o, n = old.get(ind.id, Decimal(0)), new.get(ind.id, Decimal(0))
        os_, ns = old_shares.get(ind.id, Decimal(0)), new_shares.get(ind.id, Decimal(0))
        rows.append(ComparisonRow(ind.id, ind.title, ind.group, o, n, n - o, os_, ns, ns - os_))
    return rows


def clean_reason(reason: str | None) -> str:
    """The reason of a new version: required, ≤ 2000 characters, no control characters."""
    text = (reason or "").strip()
    if not text:
        raise WeightSetError({"reason": N_("请填写变更原因")})
    if _CONTROL.search(text):
        raise WeightSetError({"reason": N_("变更原因含有不允许的控制字符")})
    if len(text) > 2000:
        raise WeightSetError({"reason": N_("变更原因不能超过2000个字符")})
    return text
