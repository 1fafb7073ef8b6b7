"""One application with its figures (and their units); the authority's decisions on it, through the
same services, quota guard and letter requirement as the web, idempotent under Idempotency-Key."""
from __future__ import annotations

from flask import abort

from ...domain import figures as fig
from ...domain.workflow import TransitionError
from ...errors import STALE_MESSAGE
from ...extensions import db
from ...i18n import gettext, refusal_text
from ...models import Application, Role
from ...permissions import can_view_application
from ...services import applications as svc
from ...services import recommendations as rec
from ...services.applications import ApplicationError
from .. import schemas as s
from ..auth import current_api_user, token_required
from ..blueprint import bp
from ..errors import ApiProblem
from ..idempotency import idempotent
from . import IDEMPOTENCY_HEADER, problems
from .calls import READERS, application_item

UNITS = {"money": "fen", "ratio": "bp"}


def figures(app: Application) -> list[dict]:
    """Every field of the call's system: stored value in storage units, the unit, the shown value."""
    system = svc.system_of(app)
    stored = svc.all_figures(app)
    matrix = fig.matrix_values(system, stored)
    out = []
    for f in system.fields:
        if f.source == "plan":
            continue
        if f.derived:
            value = matrix.get(f.id)
            shown = "—" if value is None else (f"{value * 100:.2f}%" if f.kind == "ratio" else f"{value:.4g}")
            unit = "fraction" if f.kind == "ratio" else f.unit
        else:
            value = stored.get(f.id)
            shown = fig.display_human(f, value)
            unit = UNITS.get(f.kind, f.unit)
        out.append({"id": f.id, "label": f.label, "kind": f.kind, "unit": unit or "", "value": value,
                    "display": shown, "derived": f.derived})
    return out


def load(app_id: int) -> Application:
    """The application if the token's account may see it: 404 when absent, 403 when not its own
    (as the web answers)."""
    app = db.session.get(Application, app_id) or abort(404, description="未找到该申报")
    if not can_view_application(current_api_user(), app):
        abort(403)
    return app


def detail(app: Application) -> dict:
    return {**application_item(app), "version": app.version_id, "recommend_order": app.recommend_order,
            "submitted_at": app.submitted_at, "updated_at": app.updated_at, "figures": figures(app)}


@bp.route("/applications/<int(max=2147483647):app_id>")
@token_required(*READERS)
@bp.response(200, s.ApplicationSchema)
@problems(401, 403, 404, 429)
@bp.doc(tags=["applications"], summary="申报详情（含指标数值及单位）")
def application(app_id: int):
    """One application in the account's scope; money in fen, ratios in basis points."""
    return detail(load(app_id))


def _decide(app_id: int, args: dict, service, **kwargs) -> dict:
    app = load(app_id)
    version = args.get("version")
    if version is not None and version != app.version_id:
        raise ApiProblem(409, gettext(STALE_MESSAGE), kind="stale")
    try:
        service(app, actor=current_api_user(), **kwargs)
        db.session.flush()
    except (TransitionError, ApplicationError) as e:
        raise ApiProblem(409, refusal_text(e), kind="transition-refused") from None
    except PermissionError as e:
        raise ApiProblem(409, str(e), kind="transition-refused") from None
    return detail(app)


@bp.route("/applications/<int(max=2147483647):app_id>/recommend", methods=["POST"])
@token_required(Role.AUTHORITY)
@idempotent
@bp.arguments(s.RecommendArgs)
@bp.response(200, s.ApplicationSchema)
@problems(401, 403, 404, 409, 422, 429)
@bp.doc(tags=["decisions"], summary="推荐（名额内，须先上传推荐函）",
        parameters=[IDEMPOTENCY_HEADER])
def recommend(args, app_id: int):
    """Recommend an application of the jurisdiction with an order, within the quota."""
    return _decide(app_id, args, rec.recommend, order=args["order"])


@bp.route("/applications/<int(max=2147483647):app_id>/return", methods=["POST"])
@token_required(Role.AUTHORITY)
@idempotent
@bp.arguments(s.ReasonArgs)
@bp.response(200, s.ApplicationSchema)
@problems(401, 403, 404, 409, 422, 429)
@bp.doc(tags=["decisions"], summary="退回修改（须填写理由）",
        parameters=[IDEMPOTENCY_HEADER])
def return_for_revision(args, app_id: int):
    """Return the application to the applicant with a reason."""
    return _decide(app_id, args, rec.return_for_revision, reason=args["reason"].strip())


@bp.route("/applications/<int(max=2147483647):app_id>/not-recommend", methods=["POST"])
@token_required(Role.AUTHORITY)
@idempotent
@bp.arguments(s.ReasonArgs)
@bp.response(200, s.ApplicationSchema)
@problems(401, 403, 404, 409, 422, 429)
@bp.doc(tags=["decisions"], summary="不予推荐（须填写理由）",
        parameters=[IDEMPOTENCY_HEADER])
def not_recommend(args, app_id: int):
    """Decline to recommend the application, with a reason."""
    return _decide(app_id, args, rec.not_recommend, reason=args["reason"].strip())
