"""Inputs for performance-evaluation tests: creation-plan targets and figures at a chosen achievement."""
from __future__ import annotations

from decimal import Decimal

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
