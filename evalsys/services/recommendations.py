"""The authority's and the ministry's side of the front half: recommend within quota, return, refuse,
take back, and the formal check."""
from __future__ import annotations

from sqlalchemy import select, update

from ..domain.workflow import Action, ApplicationState, Role as FlowRole, check_transition
from ..extensions import db
from ..models import Application, Call, QuotaCounter, RecommendationLetter, User
from ..models.types import utcnow
from . import audit
from .applications import ApplicationError, apply_action
from .files import store_upload
from .quotas import authority_quota, quota_limit
from ..domain.errors import N_


def in_jurisdiction(actor: User, app: Application) -> bool:
    """An authority acts on applications of its own jurisdiction only."""
    return actor.authority_code is not None and actor.authority_code == app.authority_code


def upload_letter(call: Call, upload, *, actor: User) -> RecommendationLetter:
    """Store the authority's sealed recommendation letter (推荐函) for a call (PDF)."""
    stored = store_upload(upload, purpose="recommendation_letter", actor_id=actor.id, allowed=("pdf",))
    letter = RecommendationLetter(call_id=call.id, authority_code=actor.authority_code, file_id=stored.id,
                                  uploaded_by_id=actor.id)
    db.session.add(letter)
    db.session.flush()
    audit.record("recommendation_letter_uploaded", obj=letter, actor=actor, detail={"call": call.code})
    return letter


def current_letter(call: Call, authority_code: str) -> RecommendationLetter | None:
    """The newest letter of an authority for a call."""
    return db.session.scalar(select(RecommendationLetter).where(
        RecommendationLetter.call_id == call.id, RecommendationLetter.authority_code == authority_code)
        .order_by(RecommendationLetter.id.desc()).limit(1))


def quota_used(call: Call, authority_code: str) -> int:
    """Recommendations the authority has used in this call."""
    return db.session.scalar(select(QuotaCounter.used).where(QuotaCounter.call_id == call.id,
                                                            QuotaCounter.authority_code == authority_code)) or 0


def _check_authority(app: Application, actor: User) -> None:
    if not in_jurisdiction(actor, app):
        raise PermissionError(N_("只能处理本辖区的申报"))


def recommend(app: Application, *, actor: User, order: int | None) -> None:
    """Recommend within the quota; the guard row makes the quota hold under concurrency."""
    _check_authority(app, actor)
    check_transition(app.state, Action.RECOMMEND, role=FlowRole.AUTHORITY, now=utcnow(),
                     deadlines=app.call.times.deadlines())
    if current_letter(app.call, actor.authority_code) is None:
        raise ApplicationError(N_("请先上传加盖公章的推荐函"))
    # The authority's own figure when the ministry set one, else the call's default: read by the
    # guard row's conditional UPDATE itself, so the quota holds under concurrency.
    taken = db.session.execute(
        update(QuotaCounter)
        .where(QuotaCounter.call_id == app.call_id, QuotaCounter.authority_code == actor.authority_code,
               QuotaCounter.used < quota_limit(app.call))
        .values(used=QuotaCounter.used + 1)
    ).rowcount
    if taken != 1:
        quota = authority_quota(app.call, actor.authority_code)
        raise ApplicationError(N_("推荐数量已达到本单位在本批次的名额上限（%(quota)s个），不能继续推荐"), quota=quota)
    app.recommend_order = order
    apply_action(app, Action.RECOMMEND, actor=actor)


def take_back(app: Application, *, actor: User) -> None:
    """Withdraw a recommendation before the formal check; the quota place is freed."""
    _check_authority(app, actor)
    apply_action(app, Action.TAKE_BACK, actor=actor)
    db.session.execute(update(QuotaCounter).where(QuotaCounter.call_id == app.call_id,
                                                  QuotaCounter.authority_code == actor.authority_code)
                       .values(used=QuotaCounter.used - 1))
    app.recommend_order = None


def return_for_revision(app: Application, *, actor: User, reason: str) -> None:
    """Return to the applicant with a reason; it may resubmit until the recommendation deadline."""
    _check_authority(app, actor)
    apply_action(app, Action.RETURN_, actor=actor, reason=reason)


def not_recommend(app: Application, *, actor: User, reason: str) -> None:
    """Decline to recommend, with a reason."""
    _check_authority(app, actor)
    apply_action(app, Action.NOT_RECOMMEND, actor=actor, reason=reason)


def formal_check(app: Application, *, actor: User, passed: bool, reason: str | None) -> None:
    """The ministry's formal check of a recommended application: pass, or fail with a reason."""
    apply_action(app, Action.PASS_CHECK if passed else Action.FAIL_CHECK, actor=actor, reason=reason)


def recommended_count(call: Call, authority_code: str) -> int:
    """Applications of the authority currently in the recommended state (for display)."""
    return db.session.scalar(select(db.func.count(Application.id)).where(
        Application.call_id == call.id, Application.authority_code == authority_code,
        Application.state == ApplicationState.RECOMMENDED)) or 0
