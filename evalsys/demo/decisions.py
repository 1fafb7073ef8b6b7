"""Demo decisions and typical cases on `enterprise-2015-2016`, after its official runs (demo/review.py).

The list follows the real timeline of 2015: candidates proposed from the official run of every
category, publicity from 3 June 2015 for the call's 15 days (to 17 June), one objection received
by letter and dismissed, the announcement after the period. Then one approved enterprise with a
demo account has a published typical case (with a re-encoded image) and a second one waiting for
its authority. Everything goes through the services, so states, audit records and notifications
are what the pages produce, each step under the clock of its 2015 moment (demo/story.py);
idempotent (skipped when already there).
"""
from __future__ import annotations

import io
from datetime import datetime

from PIL import Image, ImageDraw
from sqlalchemy import select

from ..domain.timeutil import parse_beijing
from ..domain.workflow import ApplicationState as S
from ..extensions import db
from ..models import AccountState, Application, Call, Role, TypicalCase, User
from ..services import decisions as dec
from ..services import typical_cases as cases
from .story import CASES as CASES_OPEN, demo_clock, spaced

CALL = "enterprise-2015-2016"


def _bj(y: int, m: int, d: int, h: int = 9) -> datetime:
    return parse_beijing(datetime(y, m, d, h, 0))


def _decide(call: Call, admin: User) -> int:
    proposed = 0
    with demo_clock(_bj(2015, 6, 2, 10)):
        for category in call.category_codes or [""]:
            try:
                _, expected = dec.expected_candidates(call, category)
            except dec.DecisionError:
                continue  # no official run for this category (nobody applied in it)
            if expected:
                dec.propose_candidates(call, category, expected, reason=None, actor=admin)
                proposed += len(expected)
    if not proposed:
        return 0
    with demo_clock(_bj(2015, 6, 3)):
        dec.open_publicity(call, actor=admin, now=_bj(2015, 6, 3))
    first = dec.publicity_list(call)[0][0]
    with demo_clock(_bj(2015, 6, 9, 10)):
        objection = dec.record_objection(first, channel="letter", received_at=_bj(2015, 6, 8, 15),
                                         summary="来信反映该企业网店好评存在刷单情况。", actor=admin)
    with demo_clock(_bj(2015, 6, 12, 16)):
        dec.resolve_objection(objection, upheld=False, actor=admin,
                              reason="经核查平台交易数据和第三方监测报告，未发现刷单行为，异议不成立。")
    with demo_clock(_bj(2015, 6, 19)):
        dec.announce_results(call, actor=admin, now=_bj(2015, 6, 19))
    return proposed


def _picture(seed: int) -> bytes:
    img = Image.new("RGB", (640, 360), (240, 244, 250))
    draw = ImageDraw.Draw(img)
    for i in range(6):  # a bar chart of growth, the kind of figure a case shows
        h = 40 + (seed * 37 + i * 53) % 240
        draw.rectangle((60 + i * 90, 320 - h, 120 + i * 90, 320), fill=(30, 90 + i * 20, 170))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


CASES = [
    ("“线上展厅+产地直发”带动传统产业转型", "依托自营网店与产业带直播，帮助本地中小制造企业拓展线上渠道。",
     "一、基本做法\n建设线上展厅，统一品牌视觉与品控标准，组织产地直发。\n"
     "二、主要成效\n两年内服务本地中小企业逾百家，线上销售额年均增长三成以上。\n"
     "三、经验启示\n以标准化服务降低中小企业触网成本，以数据反哺生产。"),
    ("数据驱动的售后服务体系", "建立订单、物流与投诉数据的联动分析，缩短纠纷处理时间。",
     "一、做法\n投诉工单与物流轨迹自动关联，超时预警。\n二、成效\n每万笔订单有效投诉件数逐年下降。"),
]


def _cases(call: Call, admin: User) -> int:
    made = 0
    apps = db.session.scalars(select(Application).where(Application.call_id == call.id,
                                                        Application.state == S.APPROVED)
                              .order_by(Application.id)).all()
    for app in apps:
        if made == len(CASES):
            break
        author = db.session.scalar(select(User).where(User.organisation_id == app.organisation_id,
                                                      User.role == Role.APPLICANT,
                                                      User.state == AccountState.ACTIVE).limit(1))
        if author is None:
            continue
        title, summary, body = CASES[made]
        submitted = spaced(CASES_OPEN, made, days=17)
        with demo_clock(submitted):
            case = cases.submit_case(app, cases.CaseText(title, summary, body),
                                     [cases.ImageUpload(_picture(app.id), "成效图.png")], actor=author)
        made += 1
        if made == 1:  # the first goes all the way to the public directory
            authority = db.session.scalar(select(User).where(User.role == Role.AUTHORITY,
                                                             User.authority_code == case.authority_code,
                                                             User.state == AccountState.ACTIVE).limit(1))
            if authority is not None:
                with demo_clock(spaced(submitted, 1, days=6)):
                    cases.authority_decide(case, approve=True, reason=None, actor=authority)
                with demo_clock(spaced(submitted, 1, days=13)):
                    cases.admin_decide(case, approve=True, reason=None, actor=admin)
    return made


def load_decisions_demo() -> dict[str, int]:
    """Propose, publicise, announce the enterprise call and write its typical cases (once)."""
    call = db.session.scalar(select(Call).where(Call.code == CALL))
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    if call is None or admin is None:
        return {"proposed": 0, "cases": 0}
    proposed = made = 0
    if dec.announcement(call) is None:
        proposed = _decide(call, admin)
    if dec.announcement(call) is not None and db.session.scalar(select(TypicalCase.id).limit(1)) is None:
        made = _cases(call, admin)
    db.session.flush()
    return {"proposed": proposed, "cases": made}
