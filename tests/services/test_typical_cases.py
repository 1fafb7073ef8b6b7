"""Typical cases: images re-encoded without metadata (never SVG), the authority-then-ministry flow, the directory."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from evalsys.domain.uploads import UploadRejected
from evalsys.domain.workflow import ApplicationState as S
from evalsys.extensions import db
from evalsys.models import Application, AuditRecord, CaseState, Notification, Role, TypicalCaseImage
from evalsys.services import typical_cases as svc
from evalsys.services.files import read_verified
from tests.factories import make_user
from tests.rankutil import build_scored_call

GPS_IFD = 0x8825


def jpeg_with_exif(size=(64, 48)) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x0131] = "SecretSoftware"  # Software
    exif[0x0112] = 1  # orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (39.0, 54.0, 27.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, comment=b"SecretComment")
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo
    info = PngInfo()
    info.add_text("Author", "SecretAuthor")
    out = io.BytesIO()
    Image.new("RGBA", (20, 10), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue() + b"TRAILINGSECRET"


def test_jpeg_is_reencoded_without_exif_gps_or_comment():
    data = jpeg_with_exif()
    assert b"SecretCameraMaker" in data and b"SecretComment" in data
    clean, mime, ext = svc.reencode_image(data)
    assert (mime, ext) == ("image/jpeg", ".jpg")
    for secret in (b"SecretCameraMaker", b"SecretSoftware", b"SecretComment", b"Exif"):
        assert secret not in clean
    with Image.open(io.BytesIO(clean)) as im:
        assert len(im.getexif()) == 0 and im.size == (64, 48)


def test_png_is_reencoded_without_text_chunks_or_trailing_bytes():
    clean, mime, _ = svc.reencode_image(png_with_text())
    assert mime == "image/png" and b"SecretAuthor" not in clean and b"TRAILINGSECRET" not in clean
    with Image.open(io.BytesIO(clean)) as im:
        assert im.mode == "RGBA" and not im.text


def test_large_images_are_scaled_down():
    out = io.BytesIO()
    Image.new("RGB", (4000, 1000), (1, 2, 3)).save(out, "JPEG")
    clean, _, _ = svc.reencode_image(out.getvalue())
    with Image.open(io.BytesIO(clean)) as im:
        assert max(im.size) == svc.MAX_EDGE


@pytest.mark.parametrize("data, code", [
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "type"),
    (b"<svg onload=alert(1)>", "type"),
    (b"GIF89a" + b"\x00" * 20, "type"),
    (b"%PDF-1.4 not an image", "type"),
    (b"\x89PNG\r\n\x1a\n" + b"broken", "image_unreadable"),
])
def test_svg_and_anything_but_png_or_jpeg_is_refused(data, code):
    with pytest.raises(UploadRejected) as exc:
        svc.reencode_image(data)
    assert exc.value.code == code and exc.value.message


def test_oversized_image_is_refused():
    with pytest.raises(UploadRejected):
        svc.reencode_image(jpeg_with_exif(), max_bytes=100)


def _approved_app():
    built = build_scored_call(n_apps=2, categories=None, state=S.APPROVED)
    app = db.session.get(Application, built.app_ids[0])
    return app, db.session.get(Application, built.app_ids[1])


def test_case_flow_authority_then_ministry_then_public_directory(app):
    with app.app_context():
        approved, other = _approved_app()
        applicant = make_user(Role.APPLICANT, organisation=approved.organisation, commit=False)
        stranger = make_user(Role.APPLICANT, organisation=other.organisation, commit=False)
        authority = make_user(Role.AUTHORITY, authority_code=approved.authority_code, commit=False)
        foreign = make_user(Role.AUTHORITY, authority_code="650000", commit=False)
        admin = make_user(Role.ADMIN, commit=False)
        text = svc.CaseText(" 以直播带动县域农产品上行 ", "摘要", "正文第一段\n正文第二段")
        with pytest.raises(svc.CaseError, match="本单位"):
            svc.submit_case(approved, text, [], actor=stranger)
        case = svc.submit_case(approved, text, [svc.ImageUpload(jpeg_with_exif(), "现场.jpg")], actor=applicant)
        assert case.state == CaseState.SUBMITTED and case.title == "以直播带动县域农产品上行"
        (img,) = db.session.scalars(select(TypicalCaseImage).where(TypicalCaseImage.case_id == case.id)).all()
        assert b"SecretCameraMaker" not in read_verified(img.file) and img.file.mime == "image/jpeg"
        assert db.session.scalar(select(Notification.id).where(Notification.user_id == authority.id))

        with pytest.raises(svc.CaseError, match="不能发布"):
            svc.admin_decide(case, approve=True, reason=None, actor=admin)  # the authority comes first
        with pytest.raises(svc.CaseError, match="本地区"):
            svc.authority_decide(case, approve=True, reason=None, actor=foreign)
        with pytest.raises(svc.CaseError, match="理由"):
            svc.authority_decide(case, approve=False, reason=" ", actor=authority)
        svc.authority_decide(case, approve=True, reason=None, actor=authority)
        assert case.state == CaseState.AUTHORITY_APPROVED
        assert svc.directory_entries(db.session.scalars(svc.directory_query()).all())[0].cases == []
        svc.admin_decide(case, approve=True, reason=None, actor=admin)
        assert case.state == CaseState.PUBLISHED and case.published_by_id == admin.id

        entries = svc.directory_entries(db.session.scalars(svc.directory_query()).all())
        assert [e.application_id for e in entries] == sorted(
            [approved.id, other.id], key=lambda i: (db.session.get(Application, i).authority_code,))
        mine = next(e for e in entries if e.application_id == approved.id)
        assert mine.cases == [(case.id, case.title, "摘要")] and mine.kind == "enterprise"
        assert mine.authority and mine.organisation == approved.organisation.name
        assert svc.directory_entries(db.session.scalars(svc.directory_query("base")).all()) == []
        events = set(db.session.scalars(select(AuditRecord.event).where(AuditRecord.object_id == str(case.id))))
        assert {"case.submitted", "case.authority_approved", "case.published"} <= events


def test_only_approved_applications_take_cases_and_returned_ones_are_resubmitted(app):
    with app.app_context():
        built = build_scored_call(n_apps=1, categories=None, state=S.SCORED)
        scored = db.session.get(Application, built.app_ids[0])
        user = make_user(Role.APPLICANT, organisation=scored.organisation, commit=False)
        with pytest.raises(svc.CaseError, match="已公布入选"):
            svc.submit_case(scored, svc.CaseText("t", "s", "b"), [], actor=user)
        scored.state = S.APPROVED
        case = svc.submit_case(scored, svc.CaseText("t", "s", "b"), [], actor=user)
        authority = make_user(Role.AUTHORITY, authority_code=scored.authority_code, commit=False)
        svc.authority_decide(case, approve=False, reason="请补充数据", actor=authority)
        assert case.state == CaseState.RETURNED and case.return_reason == "请补充数据"
        from sqlalchemy.orm.exc import StaleDataError
        with pytest.raises(StaleDataError):
            svc.resubmit_case(case, svc.CaseText("t2", "s", "b"), [], actor=user, expected_version=case.version_id - 1)
        svc.resubmit_case(case, svc.CaseText("t2", "s", "b"), [], actor=user, expected_version=case.version_id)
        assert case.state == CaseState.SUBMITTED and case.return_reason is None and case.title == "t2"
        with pytest.raises(svc.CaseError, match="最多"):
            svc.submit_case(scored, svc.CaseText("t3", "s", "b"),
                            [svc.ImageUpload(png_with_text(), f"{i}.png") for i in range(svc.MAX_IMAGES + 1)],
                            actor=user)
        with pytest.raises(svc.CaseError, match="图片“x.svg”"):
            svc.submit_case(scored, svc.CaseText("t3", "s", "b"), [svc.ImageUpload(b"<svg/>", "x.svg")], actor=user)
