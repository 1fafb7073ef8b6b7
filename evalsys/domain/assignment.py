"""Reviewer assignment of domain.md §5: who may not judge whom, and a balanced plan as a min-cost flow.

Exclusions: a reviewer never judges an applicant of its own authority — compared by conflict
group, so a separately-listed city counts as inside its province and the Corps as inside
Xinjiang —, of its own organisation (same USCC), or one it declared a conflict with.

The plan gives every application exactly ``need`` eligible reviewers (the call's number, less
any it already has) and balances the reviewers' loads. Balanced means max − min ≤ 1, which for a
total T over R reviewers is the same as every load lying in [⌊T/R⌋, ⌈T/R⌉]. Whether that is
possible under the exclusions is a flow question with lower bounds, so the answer is exact: the
bounded network either has a feasible flow (the plan) or it has none, which proves that no
balanced assignment exists. In that case a second flow with convex costs per extra unit of load
gives the most balanced plan instead (it minimises Σ load², hence also the spread).

Determinism: ties are broken by seeded integer costs on the application→reviewer arcs, drawn
in a canonical order (ids sorted), so the same pool, applications and seed give the same plan.
"""
from __future__ import annotations

import enum
import math
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx

from evalsys.domain.errors import Joined, Message
from evalsys.domain.marking import N_

# Tie-break costs are drawn from [0, NOISE); the convex load cost dominates their sum.
NOISE = 1000


class Exclusion(str, enum.Enum):
    """Why a reviewer may not judge an application (回避事由)."""

    AUTHORITY = "authority"
    ORGANISATION = "organisation"
    DECLARED = "declared"

    @property
    def label(self) -> str:
        """Chinese name of the reason."""
        return {"authority": N_("同一推荐单位（计划单列市计入所在省，兵团计入新疆）"),
                "organisation": N_("本人所在单位"), "declared": N_("本人已声明回避")}[self.value]


@dataclass(frozen=True)
class ReviewerInfo:
    """What the exclusion rule needs to know about an expert."""

    id: Hashable
    conflict_group: str
    organisation_uscc: str | None = None
    declared: frozenset[str] = frozenset()
    name: str = ""

    @property
    def label(self) -> str:
        """How messages name the reviewer."""
        return self.name or Message(N_("专家%(id)s"), id=self.id)


@dataclass(frozen=True)
class ApplicationInfo:
    """What the exclusion rule needs to know about an application."""

    id: Hashable
    conflict_group: str
    organisation_uscc: str
    label: str = ""

    @property
    def shown(self) -> str:
        """How messages name the application."""
        return self.label or Message(N_("申报#%(id)s"), id=self.id)


def exclusion(reviewer: ReviewerInfo, app: ApplicationInfo) -> Exclusion | None:
    """The first reason the reviewer must not judge the application, or None."""
    if reviewer.conflict_group == app.conflict_group:
        return Exclusion.AUTHORITY
    if reviewer.organisation_uscc and reviewer.organisation_uscc == app.organisation_uscc:
        return Exclusion.ORGANISATION
    if app.organisation_uscc in reviewer.declared:
        return Exclusion.DECLARED
    return None


def conflict_group(code: str, parents: Mapping[str, str | None]) -> str:
    """The group of an authority code: its parent (province of a city, Xinjiang for the Corps) or itself."""
    return parents.get(code) or code


@dataclass(frozen=True)
class Shortage:
    """An application with fewer eligible reviewers than it needs."""

    application: Hashable
    label: str
    eligible: int
    missing: int


@dataclass(frozen=True)
class AssignmentPlan:
    """The outcome of planning: new (application, reviewer) pairs or the reason there are none."""

    pairs: tuple[tuple[Hashable, Hashable], ...]
    loads: Mapping[Hashable, int]
    bounds: tuple[int, int]
    balanced: bool
    shortages: tuple[Shortage, ...] = ()
    explanation: str = ""
    # Reviewers of the pool eligible for none of the applications: not part of the balance.
    idle: tuple[Hashable, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def feasible(self) -> bool:
        """True when every application got its reviewers."""
        return not self.shortages

    @property
    def spread(self) -> int:
        """max − min of the loads of the reviewers in the balance."""
        return (max(self.loads.values()) - min(self.loads.values())) if self.loads else 0


def _sort_key(x: Hashable) -> tuple[int, int, str]:
    """Canonical order of ids: integers numerically, anything else by its text."""
    return (0, x, "") if isinstance(x, int) else (1, 0, str(x))


def plan_assignment(applications: Sequence[ApplicationInfo], reviewers: Sequence[ReviewerInfo],
                    need: int | Mapping[Hashable, int], *, seed: int, existing_load: Mapping[Hashable, int] | None = None,
                    already: Mapping[Hashable, Iterable[Hashable]] | None = None) -> AssignmentPlan:
    """Plan the assignment of ``need`` more reviewers to every application (see the module docstring).

    ``need`` is one number for all applications or a number per application id; ``already``
    lists reviewers an application has (never assigned twice); ``existing_load`` counts
    assignments a reviewer already carries in the call (they take part in the balance).
    """
    existing_load = dict(existing_load or {})
    already = {a: set(rs) for a, rs in (already or {}).items()}
    apps = sorted(applications, key=lambda a: _sort_key(a.id))
    pool = sorted(reviewers, key=lambda r: _sort_key(r.id))
    needs = {a.id: (need.get(a.id, 0) if isinstance(need, Mapping) else int(need)) for a in apps}
    eligible: dict[Hashable, list[ReviewerInfo]] = {
        a.id: [r for r in pool if r.id not in already.get(a.id, set()) and exclusion(r, a) is None] for a in apps}

    shortages = tuple(Shortage(a.id, a.shown, len(eligible[a.id]), needs[a.id] - len(eligible[a.id]))
                      for a in apps if len(eligible[a.id]) < needs[a.id])
    if shortages:
        return AssignmentPlan(pairs=(), loads={}, bounds=(0, 0), balanced=False, shortages=shortages,
                              explanation=explain_shortages(shortages, needs))

    demand_apps = [a for a in apps if needs[a.id] > 0]
    reach: dict[Hashable, int] = {r.id: 0 for r in pool}
    for a in demand_apps:
        for r in eligible[a.id]:
            reach[r.id] += 1
    members = [r for r in pool if reach[r.id] > 0]
    idle = tuple(r.id for r in pool if reach[r.id] == 0)
    total_new = sum(needs[a.id] for a in demand_apps)
    if total_new == 0:
        loads = {r.id: existing_load.get(r.id, 0) for r in members}
        return AssignmentPlan(pairs=(), loads=loads, bounds=(0, 0), balanced=True, idle=idle)

    total = total_new + sum(existing_load.get(r.id, 0) for r in members)
    lo, hi = total // len(members), math.ceil(total / len(members))
    rng = random.Random(seed)
    # One cost per arc, drawn in canonical order whether or not the bounded flow is feasible.
    noise = {(a.id, r.id): rng.randrange(NOISE) for a in demand_apps for r in eligible[a.id]}

    flows = _bounded_flow(demand_apps, members, eligible, needs, noise, existing_load, lo, hi)
    notes: list[str] = []
    if flows is None:
        flows = _convex_flow(demand_apps, members, eligible, needs, noise, existing_load, reach)
        notes = _balance_hints(members, reach, existing_load, lo, hi)
    pairs = tuple(sorted(flows, key=lambda p: (_sort_key(p[0]), _sort_key(p[1]))))
    loads = {r.id: existing_load.get(r.id, 0) for r in members}
    for _a, r in pairs:
        loads[r] += 1
    balanced = max(loads.values()) - min(loads.values()) <= 1
    explanation = "" if balanced else explain_imbalance(lo, hi, loads, notes)
    return AssignmentPlan(pairs=pairs, loads=loads, bounds=(lo, hi), balanced=balanced, explanation=explanation,
                          idle=idle, notes=tuple(notes))


def _base_graph(apps, eligible, needs, noise) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_node("s", demand=-sum(needs[a.id] for a in apps))
    for a in apps:
        g.add_edge("s", ("a", a.id), capacity=needs[a.id], weight=0)
        for r in eligible[a.id]:
            g.add_edge(("a", a.id), ("r", r.id), capacity=1, weight=noise[(a.id, r.id)])
    return g


def _pairs(flow: Mapping, apps, eligible) -> list[tuple[Hashable, Hashable]]:
    out = []
    for a in apps:
        sent = flow[("a", a.id)]
        out += [(a.id, r.id) for r in eligible[a.id] if sent.get(("r", r.id), 0)]
    return out


def _bounded_flow(apps, members, eligible, needs, noise, existing, lo, hi):
    """A plan with every load in [lo, hi], or None when the bounded network has no feasible flow.

    A lower bound L on the arc r→t becomes a demand L at r and L less at t, the standard
    reduction; network simplex then either finds a flow or proves there is none.
    """
    total = sum(needs[a.id] for a in apps)
    g = _base_graph(apps, eligible, needs, noise)
    forced = 0
    for r in members:
        low = max(0, lo - existing.get(r.id, 0))
        high = hi - existing.get(r.id, 0)
        if high < low or high < 0:
            return None  # this reviewer already carries more than the bound allows
        g.add_node(("r", r.id), demand=low)
        g.add_edge(("r", r.id), "t", capacity=high - low, weight=0)
        forced += low
    g.add_node("t", demand=total - forced)
    try:
        flow = nx.min_cost_flow(g)
    except nx.NetworkXUnfeasible:
        return None
    return _pairs(flow, apps, eligible)


def _convex_flow(apps, members, eligible, needs, noise, existing, reach):
    """The most balanced plan: the k-th extra unit of a reviewer's load costs BIG·(its load), convex.

    Minimising Σ BIG·load(load+1)/2 minimises Σ load² (the total is fixed); BIG exceeds the whole
    tie-break budget so the balance always wins over the seeded noise.
    """
    total = sum(needs[a.id] for a in apps)
    big = NOISE * total + 1
    g = nx.MultiDiGraph()
    g.add_node("s", demand=-total)
    g.add_node("t", demand=total)
    for a in apps:
        g.add_edge("s", ("a", a.id), capacity=needs[a.id], weight=0)
        for r in eligible[a.id]:
            g.add_edge(("a", a.id), ("r", r.id), capacity=1, weight=noise[(a.id, r.id)])
    for r in members:
        base = existing.get(r.id, 0)
        for k in range(1, reach[r.id] + 1):
            g.add_edge(("r", r.id), "t", capacity=1, weight=big * (base + k))
    flow = nx.min_cost_flow(g)
    out = []
    for a in apps:
        sent = flow[("a", a.id)]
        out += [(a.id, r.id) for r in eligible[a.id] if sum(sent.get(("r", r.id), {}).values())]
    return out


def _balance_hints(members, reach, existing, lo, hi) -> list[str]:
    """Obvious causes of an unbalanced plan: reviewers who cannot reach the lower bound, or start above it."""
    hints = []
    for r in members:
        base = existing.get(r.id, 0)
        if base > hi:
            hints.append(Message(N_("%(reviewer)s已承担%(count)s件，超过均衡上限%(hi)s件"), reviewer=r.label, count=base,
                                 hi=hi))
        elif base + reach[r.id] < lo:
            hints.append(Message(N_("%(reviewer)s受回避限制最多可评%(count)s件，低于均衡下限%(lo)s件"), reviewer=r.label,
                                 count=base + reach[r.id], lo=lo))
    return hints


def explain_shortages(shortages: Sequence[Shortage], needs: Mapping[Hashable, int]) -> str:
    """Chinese explanation of an infeasible call: which applications lack reviewers and how many are missing
    (a `Message`, so that a page can show it in the reader's language)."""
    parts = [Message(N_("%(application)s需%(needed)s名、可评%(eligible)s名、缺%(missing)s名"), application=s.label,
                     needed=needs[s.application], eligible=s.eligible, missing=s.missing) for s in shortages]
    extra = max(s.missing for s in shortages)
    return Message(N_("无法完成分配：%(count)s件申报在回避规则下可评专家不足（%(parts)s）。"
                      "至少还需增补%(extra)s名与上述申报均无回避关系的专家（不同推荐单位、非申报单位人员、未声明回避）。"),
                   count=len(shortages), parts=Joined(parts), extra=extra)


def explain_imbalance(lo: int, hi: int, loads: Mapping[Hashable, int], hints: Sequence[str]) -> str:
    """Chinese explanation of a plan whose loads could not be balanced (a `Message`, shown in the reader's
    language)."""
    bound = Message(N_("%(count)s件"), count=lo) if lo == hi else Message(N_("%(lo)s–%(hi)s件"), lo=lo, hi=hi)
    values = {"bound": bound, "most": max(loads.values()), "least": min(loads.values())}
    if hints:
        return Message(N_("在回避约束下无法使专家工作量相差不超过1（每人%(bound)s）：带上下界的流量网络无可行解。"
                          "已按最均衡方式分配：最多%(most)s件，最少%(least)s件。原因包括：%(hints)s。"),
                       hints=Joined(hints), **values)
    return Message(N_("在回避约束下无法使专家工作量相差不超过1（每人%(bound)s）：带上下界的流量网络无可行解。"
                      "已按最均衡方式分配：最多%(most)s件，最少%(least)s件。"), **values)
