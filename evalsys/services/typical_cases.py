"""Typical cases (典型案例) of approved demonstration bases and enterprises (domain.md §1).

An approved base or enterprise submits a case; the authority of its jurisdiction and then the
ministry approve it (either may return it with a reason, and a returned case can be corrected
and resubmitted). Images are decoded and re-encoded with Pillow, so what is stored and shown
carries no metadata (EXIF, GPS, comments) and no bytes of the upload itself; SVG is never
accepted (the type is sniffed from the content, and only PNG and JPEG pass).
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from ..domain.marking import N_
from ..domain.notices import label
from ..domain.uploads import UploadRejected, check_upload
from ..domain.workflow import ApplicationState as S
from ..extensions import db
from ..listing import ListQuery, search
from ..models import Application, Authority, Call, CaseState, Organisation, Role, TypicalCase, TypicalCaseImage, User
from ..models.types import utcnow
from . import audit
from .files import store_bytes
from .notify import notify_authority, notify_organisation, path_for
from ..domain.errors import DomainError, Message, N_

MAX_IMAGES = 6
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # per uploaded image, before re-encoding
MAX_EDGE = 2000  # longer side after re-encoding, in pixels


class CaseError(DomainError, ValueError):
    """A refused case step (Chinese message; HTTP 409 in views)."""


@dataclass(frozen=True)
class CaseText:
    """The validated text of a case."""

    title: str
    summary: str
    body: str


@dataclass(frozen=True)
class ImageUpload:
    """One uploaded image: its bytes and the name the browser sent."""

    data: bytes
    filename: str


def reencode_image(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> tuple[bytes, str, str]:
    """(bytes, mime, extension) of a clean copy of a PNG or JPEG image, or UploadRejected.

    The pixels are copied into a new image, so nothing of the original container survives:
    EXIF (camera, GPS), ICC profiles, text chunks and trailing data are gone. The EXIF
    orientation is applied first, so a photo taken upright stays upright.
    """
    kind = check_upload(data, max_bytes=max_bytes, allowed=("png", "jpeg"))
    try:
        with Image.open(io.BytesIO(data)) as src:
            src.load()
            img = ImageOps.exif_transpose(src)
    except UploadRejected:
        raise
    except Exception as exc:  # Pillow raises many types for corrupt data
        raise UploadRejected("image_unreadable", N_("图片文件已损坏或格式不正确")) from exc
    img.thumbnail((MAX_EDGE, MAX_EDGE))
    out = io.BytesIO()
    if kind.kind == "jpeg":
        clean = Image.new("RGB", img.size)
        clean.paste(img.convert("RGB"))
        clean.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue(), "image/jpeg", ".jpg"
    mode = "RGBA" if img.mode in ("RGBA", "LA", "P", "PA") else "RGB"
    clean = Image.new(mode, img.size)
    clean.paste(img.convert(mode))
    clean.save(out, "PNG", optimize=True)
    return out.getvalue(), "image/png", ".png"


def approved_applications(organisation_id: int) -> list[Application]:
    """The organisation's approved (announced) applications: what a case can be written for."""
    return list(db.session.scalars(select(Application).where(
        Application.organisation_id == organisation_id, Application.state == S.APPROVED).order_by(Application.id)))


def _check_text(text: CaseText) -> CaseText:
    title, summary, body = text.title.strip(), text.summary.strip(), text.body.strip()
    if not title or not summary or not body:
        raise CaseError(N_("请填写标题、摘要和正文"))
    return CaseText(title, summary, body)


def _add_images(case: TypicalCase, images: Sequence[ImageUpload], actor: User) -> None:
    existing = db.session.scalar(select(func.count(TypicalCaseImage.id)).where(TypicalCaseImage.case_id == case.id))
    images = [i for i in images if i.data]
    if existing + len(images) > MAX_IMAGES:
        raise CaseError(N_("每个案例最多 %(count)s 张图片"), count=MAX_IMAGES)
    for n, upload in enumerate(images, start=existing):
        try:
            data, mime, ext = reencode_image(upload.data)
        except UploadRejected as exc:
            raise CaseError(N_("图片“%(image)s”：%(reason)s"),
                            image=upload.filename or n + 1, reason=exc.text) from None
        stored = store_bytes(data, f"案例{case.id}-图{n + 1}{ext}", mime, purpose="case_image", actor_id=actor.id)
        db.session.add(TypicalCaseImage(case_id=case.id, file_id=stored.id, position=n))
    db.session.flush()


def submit_case(app: Application, text: CaseText, images: Sequence[ImageUpload], *, actor: User) -> TypicalCase:
    """An approved base or enterprise submits a case; its authority is told."""
    if actor.role != Role.APPLICANT or actor.organisation_id != app.organisation_id:
        raise CaseError(N_("只能为本单位提交典型案例"))
    if app.state != S.APPROVED:
        raise CaseError(N_("只有已公布入选的示范基地或示范企业可以提交典型案例"))
    text = _check_text(text)
    case = TypicalCase(application_id=app.id, organisation_id=app.organisation_id, authority_code=app.authority_code,
                       title=text.title, summary=text.summary, body=text.body, state=CaseState.SUBMITTED,
                       submitted_by_id=actor.id, submitted_at=utcnow())
    db.session.add(case)
    db.session.flush()
    _add_images(case, images, actor)
    audit.record("case.submitted", obj=case, actor=actor, detail={"application": app.id, "images": len(images)})
    notify_authority(app.authority_code, N_("典型案例《%(title)s》待审核"), {"title": case.title},
                     link=path_for("authority.case_detail", case_id=case.id))
    return case


def resubmit_case(case: TypicalCase, text: CaseText, images: Sequence[ImageUpload], *, actor: User,
                  expected_version: int) -> None:
    """Correct a returned case and submit it again (its authority reviews it from the start)."""
    if actor.role != Role.APPLICANT or actor.organisation_id != case.organisation_id:
        raise CaseError(N_("只能修改本单位的典型案例"))
    if case.state != CaseState.RETURNED:
        raise CaseError(N_("只有被退回的案例可以修改后重新提交"))
    if expected_version != case.version_id:
        raise StaleDataError("stale case form")
    text = _check_text(text)
    case.title, case.summary, case.body = text.title, text.summary, text.body
    case.state, case.return_reason = CaseState.SUBMITTED, None
    case.submitted_by_id, case.submitted_at = actor.id, utcnow()
    case.authority_by_id = case.authority_at = None
    _add_images(case, images, actor)
    audit.record("case.resubmitted", obj=case, actor=actor)
    notify_authority(case.authority_code, N_("典型案例《%(title)s》已修改，待审核"), {"title": case.title},
                     link=path_for("authority.case_detail", case_id=case.id))


def _return(case: TypicalCase, reason: str, actor: User) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise CaseError(N_("退回必须填写理由"))
    case.state, case.return_reason = CaseState.RETURNED, reason
    audit.record("case.returned", obj=case, actor=actor, detail={"reason": reason, "role": actor.role.value})
    notify_organisation(case.organisation_id, N_("典型案例《%(title)s》被退回（%(unit)s）。理由：%(reason)s"),
                        {"title": case.title, "unit": label(actor.acting_unit), "reason": reason},
                        link=path_for("applicant.case_detail", case_id=case.id))


def authority_decide(case: TypicalCase, *, approve: bool, reason: str | None, actor: User) -> None:
    """The authority of the case's jurisdiction approves it (on to the ministry) or returns it."""
    if actor.role != Role.AUTHORITY or actor.authority_code != case.authority_code:
        raise CaseError(N_("只能审核本地区的典型案例"))
    if case.state != CaseState.SUBMITTED:
        raise CaseError(N_("案例当前状态为“%(state)s”，不能审核"), state=Message(case.state.label))
    if not approve:
        _return(case, reason or "", actor)
        return
    case.state, case.authority_by_id, case.authority_at = CaseState.AUTHORITY_APPROVED, actor.id, utcnow()
    audit.record("case.authority_approved", obj=case, actor=actor)


def admin_decide(case: TypicalCase, *, approve: bool, reason: str | None, actor: User) -> None:
    """The ministry publishes a case its authority approved, or returns it."""
    if actor.role != Role.ADMIN:
        raise CaseError(N_("只有商务部管理员可以发布案例"))
    if case.state != CaseState.AUTHORITY_APPROVED:
        raise CaseError(N_("案例当前状态为“%(state)s”，不能发布"), state=Message(case.state.label))
    if not approve:
        _return(case, reason or "", actor)
        return
    case.state, case.published_by_id, case.published_at = CaseState.PUBLISHED, actor.id, utcnow()
    audit.record("case.published", obj=case, actor=actor)
    notify_organisation(case.organisation_id, N_("典型案例《%(title)s》已发布"), {"title": case.title},
                        link=path_for("public.case_detail", case_id=case.id))


def case_images(case_ids: Sequence[int]) -> dict[int, list[TypicalCaseImage]]:
    """{case id: its images in order} in one query."""
    out: dict[int, list[TypicalCaseImage]] = {i: [] for i in case_ids}
    if case_ids:
        for img in db.session.scalars(select(TypicalCaseImage).where(TypicalCaseImage.case_id.in_(list(case_ids)))
                                      .order_by(TypicalCaseImage.case_id, TypicalCaseImage.position)):
            out[img.case_id].append(img)
    return out


@dataclass(frozen=True)
class DirectoryEntry:
    """One approved base or enterprise of the public directory, with its published cases."""

    application_id: int
    organisation: str
    authority_code: str
    authority: str
    kind: str
    call_title: str
    cases: list[tuple[int, str, str]]  # (case id, title, summary)


def directory_query(kind: str | None = None, lq: ListQuery = ListQuery()):
    """Approved applications by authority (then kind, call, organisation): the public directory, to paginate;
    narrowed by the search (organisation name, USCC, call title) and ?authority=."""
    stmt = (select(Application).join(Organisation, Organisation.id == Application.organisation_id)
            .join(Call, Call.id == Application.call_id)
            .where(Application.state == S.APPROVED))
    if kind in ("base", "enterprise"):
        stmt = stmt.where(Call.kind == kind)
    stmt = search(stmt, lq.q, Organisation.name, Organisation.uscc, Call.title)
    if lq.get("authority"):
        stmt = stmt.where(Application.authority_code == lq.get("authority"))
    return stmt.order_by(Application.authority_code, Call.kind, Call.id, Organisation.name, Application.id)


def directory_entries(apps: Sequence[Application]) -> list[DirectoryEntry]:
    """One page of `directory_query` with names and published cases, in two more queries."""
    ids = [a.id for a in apps]
    if not ids:
        return []
    info = {int(r[0]): r[1:] for r in db.session.execute(
        select(Application.id, Organisation.name, Authority.name, Call.kind, Call.title)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .join(Authority, Authority.code == Application.authority_code)
        .join(Call, Call.id == Application.call_id).where(Application.id.in_(ids)))}
    cases: dict[int, list[tuple[int, str, str]]] = {i: [] for i in ids}
    for c in db.session.execute(select(TypicalCase.id, TypicalCase.application_id, TypicalCase.title,
                                       TypicalCase.summary)
                                .where(TypicalCase.application_id.in_(ids), TypicalCase.state == CaseState.PUBLISHED)
                                .order_by(TypicalCase.published_at, TypicalCase.id)):
        cases[int(c.application_id)].append((int(c.id), str(c.title), str(c.summary)))
    out = []
    for a in apps:
        org, authority, kind, title = info[a.id]
        out.append(DirectoryEntry(application_id=a.id, organisation=str(org), authority_code=a.authority_code,
                                  authority=str(authority), kind=getattr(kind, "value", str(kind)),
                                  call_title=str(title), cases=cases[a.id]))
    return out
