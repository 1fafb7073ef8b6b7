"""Inputs for performance-evaluation tests: creation-plan targets and figures at a chosen achievement."""
from __future__ import annotations

import itertools
from decimal import Decimal

_counter = itertools.count(1)

# Creation-plan targets of a base in storage units (ratios in basis points, money in fen).
PLAN_TARGETS: dict[str, object] = {
    "plan_arrival_rate": 10000, "plan_execution_rate": 9000, "plan_compliant_share": 10000,
    "plan_tasks": 12, "plan_service_reach": 20000, "plan_acceptance_rate": 9500, "plan_on_time_rate": 9000,
    "plan_budget": 30_000_000_00, "plan_transaction_growth": 5000, "plan_firm_growth": 4000,
    "plan_leverage": "3", "plan_new_jobs": 2000, "plan_incubated_trained": 1500, "plan_satisfaction": 9000,
}


def inputs_at(fraction: str) -> dict[str, object]:
    """Figures (storage units) for which every Q indicator reaches `fraction` of its target, given
    PLAN_TARGETS. Chosen so the derived ratios come out exact (no rounding of the fraction)."""
    f = Decimal(fraction)
    allocated = 10_000_000_00
    received = int(allocated * f)                     # arrival = f × 100%
    spent = int(received * Decimal("0.9") * f)        # execution = 0.9 f
    return {
        "funds_allocated": allocated, "funds_received": received, "funds_spent": spent,
        "funds_spent_compliant": int(spent * f),      # compliant share = f
        "tasks_completed": int(12 * f), "service_reach": int(20000 * f),
        "projects_total": 200, "projects_accepted": int(190 * f), "projects_on_time": int(180 * f),
        "project_cost": int(30_000_000_00 / f) if f else 10**12,
        "transactions_base_year": 1_000_000_000_00, "transactions_current": int(1_000_000_000_00 * (1 + Decimal("0.5") * f)),
        "firms_base_year": 500, "firms_current": int(500 * (1 + Decimal("0.4") * f)),
        "social_investment": int(received * 3 * f),   # leverage = 3 f
        "new_jobs": int(2000 * f), "incubated_trained": int(1500 * f), "tenant_satisfaction": int(9000 * f),
    }


# --- database builders (inside an app context) ------------------------------------------------------

def signing_config(directory) -> dict[str, str]:
    """Config pointing at a self-signed issuer created under `directory` (once)."""
    from evalsys.reporting.signing import create_self_signed

    material = create_self_signed(directory)
    return {"SIGNING_KEY_PATH": material.key_path, "SIGNING_CERT_PATH": material.cert_path}


def stored_texts(system, stored: dict[str, object]) -> dict[str, str]:
    from evalsys.domain.figures import display
    from evalsys.services import evaluations as svc

    fields = {f.id: f for f in svc.input_fields(system)}
    return {k: display(fields[k], v) for k, v in stored.items() if k in fields}


def make_perf_base(*, authority_code: str = "320000", region: str = "320500", name: str | None = None,
                   forbidden_fen: int = 0):
    """A base with PLAN_TARGETS, an operator, one allocation fully received and verified spending
    of 90% (execution = target), optionally partly in a forbidden category."""
    import datetime as dt

    from evalsys.services import funds, funds_ledger
    from tests.factories import make_org
    from tests.fundsutil import make_allocation, make_entry

    n = next(_counter)
    org = make_org(authority_code=authority_code, region=region, name=name or f"评价测试运营公司{n}")
    base = funds.create_base(code=f"E{n:03d}", name=f"评价测试电子商务基地{n}", city="苏州",
                             authority_code=authority_code, organisation=org, targets=PLAN_TARGETS)
    allocation = make_allocation(base, year=2013, amount_fen=10_000_000_00)
    for amount, category in ((9_000_000_00 - forbidden_fen, "PSP"), (forbidden_fen, "X-BLD")):
        if amount:
            e = make_entry(allocation, amount_fen=amount, category=category, date=dt.date(2014, 3, 1))
            funds_ledger.verify_expenditure(e)
    return base




def make_round(bases, *, code: str = "perf-t", actor=None):
    """A round (deadlines in 2099) over `bases`."""
    from evalsys.domain.timeutil import parse_beijing
    from evalsys.services import evaluations as svc

    return svc.create_round(svc.RoundData(code=code, title="测试绩效评价批次", year=2015, criteria_id="perf-base-b1",
                                          criteria_version=1, self_deadline=parse_beijing("2099-01-01 00:00"),
                                          authority_deadline=parse_beijing("2099-02-01 00:00"),
                                          base_ids=[b.id for b in bases]), actor=actor)


NARRATIVES = {"decision": "决策说明", "process": "过程说明", "output": "产出说明", "outcome": "效益说明"}


def advance(ev, *, fraction: str, to: str, operator, authority, admin):
    """Take an evaluation through the services to state `to` (self_evaluated, evaluated, accepted)
    with every Q figure and E score at `fraction` of target (fund figures left as the records say
    unless fraction changes them)."""
    from decimal import ROUND_HALF_UP

    from evalsys.services import evaluation_review as ev_review, evaluations as svc, self_evaluation as self_ev

    system = svc.system_of(ev.round)
    self_ev.save_self_evaluation(ev, self_ev.SelfEvaluationInput(stored_texts(system, inputs_at(fraction)), NARRATIVES),
                                 actor=operator)
    self_ev.submit_self_evaluation(ev, actor=operator)
    if to == "self_evaluated":
        return ev
    f = Decimal(fraction)
    points = {i.id: str((Decimal(str(i.max)) * f).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
              for i in system.scored_indicators if i.type == "E"}
    ev_review.save_authority_evaluation(ev, ev_review.AuthorityInput(points=points, comments={}, figures={}, reasons={},
                                                                     conclusions="结论", problems="问题",
                                                                     recommendations="建议"),
                                        actor=authority)
    ev_review.submit_evaluation(ev, actor=authority)
    if to == "evaluated":
        return ev
    ev_review.accept_evaluation(ev, actor=admin)
    return ev
