"""How a state looks on a page: its label, its badge colour, a sentence beside it and the colour of its
table row, chosen here once per state, so that templates show `look(obj.state)` and never compare
state strings."""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any


from ...domain.funds import ExpenditureStatus
from ...i18n import gettext
from ...models import (AccountState, AssignmentState, FlagState, OrganisationState, ProposalState, ReviewerState,
                       SheetState, TokenStatus)
from ...services.summaries import SummaryState
from .navigation import N_


@dataclass(frozen=True)
class Look:
    """A state as shown: the label, the badge's CSS classes, a sentence beside it and the CSS class
    of a table row in that state (label and note are translated by `look`)."""

    label: str
    css: str = ""
    note: str = ""
    row: str = ""


# Per enum, so that equal values of different enums ("verified", "pending") never meet.
LOOKS: dict[type[enum.Enum], dict[Any, Look]] = {
    OrganisationState: {
        OrganisationState.VERIFIED: Look(N_("已核验"), "bg-success"),
        OrganisationState.REJECTED: Look(N_("核验未通过"), "bg-danger", N_("请联系所属地方商务主管部门。")),
        OrganisationState.UNVERIFIED: Look(N_("待核验"), "bg-warning text-dark",
                                           N_("可以填写申报材料；经主管部门核验营业执照后方可提交。")),
    },
    AccountState: {
        AccountState.ACTIVE: Look(N_("正常"), "bg-success"),
        AccountState.PENDING: Look(N_("待批准"), "bg-warning text-dark"),
        AccountState.DISABLED: Look(N_("已停用"), "bg-secondary"),
    },
    ReviewerState: {
        ReviewerState.PENDING: Look(N_("待启用"), "bg-warning text-dark"),
        ReviewerState.ACTIVE: Look(N_("已启用"), "bg-success"),
        ReviewerState.INACTIVE: Look(N_("已停用"), "bg-secondary"),
    },
    AssignmentState: {
        AssignmentState.ACTIVE: Look(N_("有效"), "bg-success"),
        AssignmentState.REMOVED: Look(N_("已移出"), "bg-secondary"),
        AssignmentState.DECLINED: Look(N_("已回避"), "bg-secondary"),
    },
    SheetState: {
        SheetState.DRAFT: Look(N_("草稿"), "bg-secondary"),
        SheetState.SUBMITTED: Look(N_("已提交"), "bg-success"),
        SheetState.VOIDED: Look(N_("已作废"), "bg-light text-dark border"),
    },
    ProposalState: {
        ProposalState.PENDING: Look(N_("待批准"), "bg-warning text-dark"),
        ProposalState.APPLIED: Look(N_("已生效"), "bg-success"),
        ProposalState.WITHDRAWN: Look(N_("已撤回"), "bg-secondary"),
    },
    SummaryState: {
        SummaryState.SUBMITTED: Look(N_("已报送"), "bg-success"),
        SummaryState.LATE: Look(N_("逾期报送"), "bg-warning text-dark", row="table-warning"),
        SummaryState.MISSING: Look(N_("未报送"), "bg-danger", row="table-danger"),
    },
    ExpenditureStatus: {
        ExpenditureStatus.PENDING: Look(N_("待核实"), "bg-secondary"),
        ExpenditureStatus.VERIFIED: Look(N_("已核实"), "bg-success"),
        ExpenditureStatus.REJECTED: Look(N_("已驳回"), "bg-danger"),
    },
    FlagState: {
        FlagState.OPEN: Look(N_("待处理"), "bg-warning text-dark"),
        FlagState.RESOLVED: Look(N_("已处理"), "bg-light text-dark border"),
        FlagState.CLEARED: Look(N_("已消除"), "bg-light text-muted border"),
    },
    TokenStatus: {
        TokenStatus.ACTIVE: Look(N_("有效"), "bg-success"),
        TokenStatus.REVOKED: Look(N_("已撤销"), "bg-secondary"),
        TokenStatus.EXPIRED: Look(N_("已过期"), "bg-light text-dark border"),
    },
}
NOT_STARTED = Look(N_("未开始"), "bg-light text-dark border")


def look(state: enum.Enum) -> Look:
    """How a state of one of the enums above is shown."""
    return _translated(LOOKS[type(state)][state])


def state_options(states: Iterable[enum.Enum]) -> list[tuple[str, str]]:
    """(value, label) of each state for a list's filter menu, labelled as on every other page."""
    return [(s.value, look(s).label) for s in states]


def sheet_look(sheet: Any) -> Look:
    """How a score sheet stands for its assignment; no sheet yet is "not started"."""
    return look(sheet.state) if sheet is not None else _translated(NOT_STARTED)


def shown_flags(flags: Iterable[Any]) -> list[tuple[Any, Look]]:
    """The compliance flags an entry shows as badges: the open ones first, then those resolved
    (a cleared flag no longer concerns the entry)."""
    order = {FlagState.OPEN: 0, FlagState.RESOLVED: 1}
    shown = sorted((f for f in flags if f.state in order), key=lambda f: order[f.state])
    return [(f, look(f.state)) for f in shown]


def _translated(raw: Look) -> Look:
    return replace(raw, label=gettext(raw.label), note=gettext(raw.note) if raw.note else "")


def template_globals() -> dict[str, Any]:
    """What templates use to show states."""
    return {"look": look, "sheet_look": sheet_look, "shown_flags": shown_flags}
