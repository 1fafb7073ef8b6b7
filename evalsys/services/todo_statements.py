"""The statements behind the work lists (services/todo_query.py): each built once per process with bind
parameters for what varies (`:user_id`, `:org`, `:code`, `:now`) — a home page runs several on every visit,
and building a statement of this size cost more than running it."""
from __future__ import annotations

import functools
from typing import Any, Callable

from sqlalchemy import (Integer, Select, String, and_, bindparam, cast, distinct, func, literal, null, or_, select,
                        union_all)

from ..domain.evaluation import EvaluationState
from ..domain.funds import ExpenditureStatus
from ..domain.workflow import ApplicationState
from ..models import (Allocation, Application, ApplicationAttachment, Assignment, AssignmentState, BatchJob, Call,
                      ComplianceFlag, Evaluation, EvaluationRound, Expenditure, FirstBatchBase, FlagState, JobState,
                      Organisation, OrganisationState, Proposal, ProposalState, QuotaCounter, ReviewerProfile,
                      ScoreSheet, SheetState, SummaryCollection, SummarySubmission, User)
from ..models.account import AccountState
from .applications import REQUIRED_ATTACHMENTS


def built_once(build: Callable[[], Select]) -> Callable[[], Select]:
    """A statement built on first use and kept for the process."""
    return functools.cache(build)


def open_application():
    now = bindparam("now")
    return or_(and_(Application.state == ApplicationState.DRAFT, Call.closes_at > now),
               and_(Application.state == ApplicationState.RETURNED, Call.recommend_deadline > now))


@built_once
def applicant_work() -> Select:
    """The applicant's work list as rows (kind, state, title, count, first id, due), one UNION ALL, by kind and
    due: 1 applications to finish or resubmit (per state and call), 2 calls with attachments missing (count =
    attachments), 3 self-evaluations per round, 4 accounts of the organisation to approve (always one row)."""
    def kind(k: int):
        return literal(k, Integer).label("kind")

    org = bindparam("org")
    no_text, no_id = cast(null(), String), cast(null(), Integer)
    deadline = func.coalesce(func.max(Call.closes_at).filter(Application.state == ApplicationState.DRAFT),
                             func.max(Call.recommend_deadline))
    have = (select(ApplicationAttachment.application_id.label("app_id"),
                   func.count(distinct(ApplicationAttachment.kind)).label("kinds"))
            .where(ApplicationAttachment.kind.in_(REQUIRED_ATTACHMENTS))
            .group_by(ApplicationAttachment.application_id).subquery())
    missing = literal(len(REQUIRED_ATTACHMENTS)) - func.coalesce(have.c.kinds, 0)
    members = [
        select(kind(1), cast(Application.state, String).label("state"), Call.title.label("title"),
               func.count().label("n"), func.min(Application.id).label("first"), deadline.label("due"))
        .join(Call, Call.id == Application.call_id)
        .where(Application.organisation_id == org, open_application())
        .group_by(Application.state, Call.id, Call.title),
        select(kind(2), no_text, Call.title, cast(func.sum(missing), Integer), func.min(Application.id), deadline)
        .join(Call, Call.id == Application.call_id).outerjoin(have, have.c.app_id == Application.id)
        .where(Application.organisation_id == org, missing > 0, open_application())
        .group_by(Call.id, Call.title),
        select(kind(3), no_text, EvaluationRound.title, func.count(), func.min(Evaluation.id),
               EvaluationRound.self_deadline)
        .join(EvaluationRound, EvaluationRound.id == Evaluation.round_id)
        .join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id)
        .where(FirstBatchBase.organisation_id == org, Evaluation.state == EvaluationState.DRAFT)
        .group_by(EvaluationRound.id, EvaluationRound.title, EvaluationRound.self_deadline),
        select(kind(4), no_text, no_text, func.count(), no_id, cast(null(), Call.closes_at.type))
        .select_from(User).where(User.organisation_id == org, User.state == AccountState.PENDING),
    ]
    work = union_all(*members).subquery()
    return select(work).order_by(work.c.kind, work.c.due)


@built_once
def authority_counts() -> Select:
    """Organisations to verify, accounts to approve, expenditures to verify and open compliance flags of the
    jurisdiction, in one row."""
    code = bindparam("code")
    return select(
        select(func.count()).select_from(Organisation).where(
            Organisation.authority_code == code, Organisation.state == OrganisationState.UNVERIFIED)
        .scalar_subquery(),
        select(func.count()).select_from(User).join(Organisation, Organisation.id == User.organisation_id).where(
            Organisation.authority_code == code, User.state == AccountState.PENDING).scalar_subquery(),
        *authority_funds())


@built_once
def authority_recommendations() -> Select:
    code = bindparam("code")
    used = func.coalesce(QuotaCounter.used, 0)
    return (select(Call.code, Call.title, Call.recommend_deadline, Call.quota_per_authority, used, func.count())
            .join(Application, and_(Application.call_id == Call.id, Application.authority_code == code,
                                    Application.state == ApplicationState.SUBMITTED))
            .outerjoin(QuotaCounter, and_(QuotaCounter.call_id == Call.id, QuotaCounter.authority_code == code))
            .where(Call.recommend_deadline > bindparam("now"))
            .group_by(Call.id, Call.code, Call.title, Call.recommend_deadline, Call.quota_per_authority, used)
            .order_by(Call.recommend_deadline))


def authority_funds() -> tuple[Any, Any]:
    code = bindparam("code")
    return (
        select(func.count()).select_from(Expenditure).join(Allocation, Allocation.id == Expenditure.allocation_id)
        .join(FirstBatchBase, FirstBatchBase.id == Allocation.base_id)
        .where(FirstBatchBase.authority_code == code, Expenditure.status == ExpenditureStatus.PENDING)
        .scalar_subquery(),
        select(func.count()).select_from(ComplianceFlag)
        .join(Expenditure, Expenditure.id == ComplianceFlag.expenditure_id)
        .join(Allocation, Allocation.id == Expenditure.allocation_id)
        .join(FirstBatchBase, FirstBatchBase.id == Allocation.base_id)
        .where(FirstBatchBase.authority_code == code, ComplianceFlag.state == FlagState.OPEN)
        .scalar_subquery())


@built_once
def authority_evaluations() -> Select:
    return (select(EvaluationRound.title, func.count(), func.min(Evaluation.id), EvaluationRound.authority_deadline)
            .join(EvaluationRound, EvaluationRound.id == Evaluation.round_id)
            .join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id)
            .where(FirstBatchBase.authority_code == bindparam("code"),
                   Evaluation.state.in_([EvaluationState.SELF_EVALUATED, EvaluationState.RETURNED]))
            .group_by(EvaluationRound.id, EvaluationRound.title, EvaluationRound.authority_deadline)
            .order_by(EvaluationRound.authority_deadline))


@built_once
def authority_summaries() -> Select:
    submitted = select(SummarySubmission.id).where(SummarySubmission.collection_id == SummaryCollection.id,
                                                   SummarySubmission.authority_code == bindparam("code"))
    return (select(SummaryCollection.title, SummaryCollection.due_date)
            .where(~submitted.exists()).order_by(SummaryCollection.due_date))


@built_once
def reviewer_sheets() -> Select:
    open_sheet = or_(ScoreSheet.id.is_(None), ScoreSheet.state == SheetState.DRAFT)
    to_comment = and_(ScoreSheet.divergence_flagged.is_(True), ScoreSheet.divergence_comment.is_(None))
    return (select(Call.title, Call.review_ends_at, func.count().filter(open_sheet),
                   func.min(Assignment.id).filter(open_sheet), func.count().filter(to_comment),
                   func.min(Assignment.id).filter(to_comment))
            .select_from(Assignment)
            .join(ReviewerProfile, ReviewerProfile.id == Assignment.reviewer_id)
            .join(Call, Call.id == Assignment.call_id)
            .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
            .where(ReviewerProfile.user_id == bindparam("user_id"), Assignment.state == AssignmentState.ACTIVE,
                   or_(and_(open_sheet, Call.review_ends_at > bindparam("now")), to_comment))
            .group_by(Call.id, Call.title, Call.review_ends_at).order_by(Call.review_ends_at))


@built_once
def admin_work() -> Select:
    """The admin's work list as rows (kind, order, code, title, count, done, failed), one UNION ALL: 1 formal
    checks, 2 divergences, 3 proposals of others, 4 evaluations to accept, 5 running batches (count = total),
    6 open flags (always one row)."""
    def kind(k: int):
        return literal(k, Integer).label("kind")

    none = cast(null(), Integer)
    calls = (Call.id.label("ord"), Call.code.label("code"), Call.title.label("title"))
    rounds = (EvaluationRound.id, EvaluationRound.code, EvaluationRound.title)
    members = [
        select(kind(1), *calls, func.count().label("n"), none.label("done"), none.label("failed"))
        .join(Application, Application.call_id == Call.id)
        .where(Application.state == ApplicationState.RECOMMENDED).group_by(Call.id, Call.code, Call.title),
        select(kind(2), *calls, func.count(), none, none).select_from(ScoreSheet)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id).join(Call, Call.id == Assignment.call_id)
        .where(ScoreSheet.divergence_flagged.is_(True), ScoreSheet.divergence_comment.is_(None),
               Assignment.state == AssignmentState.ACTIVE).group_by(Call.id, Call.code, Call.title),
        select(kind(3), *calls, func.count(), none, none).join(Proposal, Proposal.call_id == Call.id)
        .where(Proposal.state == ProposalState.PENDING, Proposal.proposed_by_id != bindparam("user_id"))
        .group_by(Call.id, Call.code, Call.title),
        select(kind(4), *rounds, func.count(), none, none).join(Evaluation, Evaluation.round_id == EvaluationRound.id)
        .where(Evaluation.state == EvaluationState.EVALUATED)
        .group_by(EvaluationRound.id, EvaluationRound.code, EvaluationRound.title),
        select(kind(5), *rounds, func.sum(BatchJob.total), func.sum(BatchJob.done), func.sum(BatchJob.failed))
        .join(BatchJob, BatchJob.round_id == EvaluationRound.id)
        .where(BatchJob.state.in_([JobState.QUEUED, JobState.RUNNING]))
        .group_by(EvaluationRound.id, EvaluationRound.code, EvaluationRound.title),
        select(kind(6), literal(0, Integer), cast(null(), String), cast(null(), String), func.count(), none, none)
        .select_from(ComplianceFlag).where(ComplianceFlag.state == FlagState.OPEN),
    ]
    work = union_all(*members).subquery()
    return select(work).order_by(work.c.kind, work.c.ord)
