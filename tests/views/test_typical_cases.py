"""Typical case pages: an approved enterprise submits with an image, its authority then the ministry approve,
the public directory shows it; images never leak metadata, unpublished ones are not public."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from evalsys.domain.workflow import ApplicationState as S
from evalsys.extensions import db
from evalsys.models import Application, CaseState, Role, TypicalCase, TypicalCaseImage
from tests.conftest import csrf_token, login, post
from tests.factories import make_user
from tests.rankutil import build_scored_call
from tests.services.test_typical_cases import jpeg_with_exif


def _setup(app) -> dict:
    with app.app_context():
        built = build_scored_call(n_apps=3, categories=None, state=S.APPROVED)
        a = db.session.get(Application, built.app_ids[0])
        other = db.session.get(Application, built.app_ids[1])
        make_user(Role.APPLICANT, username="case-owner", organisation=a.organisation)
        make_user(Role.APPLICANT, username="case-stranger", organisation=other.organisation)
        make_user(Role.AUTHORITY, username="case-authority", authority_code=a.authority_code)
        make_user(Role.AUTHORITY, username="case-foreign", authority_code="650000")
        make_user(Role.ADMIN, username="case-admin")
        return {"app_id": a.id, "org": a.organisation.name, "other_id": other.id}


def _submit(client, app_id: int, **extra):
    path = f"/applicant/cases/new/{app_id}"
    data = {"csrf_token": csrf_token(client, path), "title": "直播电商带动农产品上行", "summary": "三年带动农户增收",
            "body": "第一段。\n第二段。", **extra}
    return client.post(path, data=data, content_type="multipart/form-data")


def test_case_from_submission_to_the_public_directory(app, client):
    data = _setup(app)
    login(client, "case-owner")
    assert f"/applicant/cases/new/{data['app_id']}" in client.get("/applicant/cases").get_data(as_text=True)
    r = _submit(client, data["app_id"], images=[(io.BytesIO(jpeg_with_exif()), "现场照片.jpg")])
    assert r.status_code == 302
    with app.app_context():
        case = db.session.scalar(select(TypicalCase))
        case_id, image_id = case.id, db.session.scalar(select(TypicalCaseImage.id))
        assert case.state == CaseState.SUBMITTED
    img = client.get(f"/applicant/cases/images/{image_id}")
    assert img.status_code == 200 and img.mimetype == "image/jpeg" and b"SecretCameraMaker" not in img.data
    # Not public yet.
    anon = app.test_client()
    assert anon.get(f"/public/cases/{case_id}").status_code == 404
    assert anon.get(f"/public/cases/images/{image_id}").status_code == 404

    foreign = app.test_client()
    login(foreign, "case-foreign")
    assert foreign.get(f"/authority/cases/{case_id}").status_code == 403
    assert foreign.get(f"/authority/cases/images/{image_id}").status_code == 403
    r = post(foreign, f"/authority/cases/{case_id}", {"decision": "approve"}, token_from="/auth/password")
    assert r.status_code == 403

    admin = app.test_client()
    login(admin, "case-admin")
    r = post(admin, f"/admin/cases/{case_id}", {"decision": "approve"}, token_from="/auth/password")
    assert r.status_code == 409 and "不能发布" in r.get_data(as_text=True)  # the authority comes first

    authority = app.test_client()
    login(authority, "case-authority")
    listing = authority.get("/authority/cases").get_data(as_text=True)
    assert "直播电商带动农产品上行" in listing and data["org"] in listing
    r = post(authority, f"/authority/cases/{case_id}", {"decision": "return", "reason": ""}, token_from="/auth/password")
    assert r.status_code == 409 and "理由" in r.get_data(as_text=True)
    r = post(authority, f"/authority/cases/{case_id}", {"decision": "approve"}, token_from="/auth/password")
    assert r.status_code == 302
    r = post(admin, f"/admin/cases/{case_id}", {"decision": "approve"}, token_from="/auth/password")
    assert r.status_code == 302

    directory = anon.get("/public/cases").get_data(as_text=True)
    assert data["org"] in directory and f"/public/cases/{case_id}" in directory
    page = anon.get(f"/public/cases/{case_id}").get_data(as_text=True)
    assert "三年带动农户增收" in page and f"/public/cases/images/{image_id}" in page and data["org"] in page
    img = anon.get(f"/public/cases/images/{image_id}")
    assert img.status_code == 200 and img.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(img.data)) as im:
        assert len(im.getexif()) == 0
    assert data["org"] not in anon.get("/public/cases?kind=base").get_data(as_text=True)


def test_svg_and_bad_input_are_form_errors_and_others_cannot_submit(app, client):
    data = _setup(app)
    login(client, "case-owner")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    r = _submit(client, data["app_id"], images=[(io.BytesIO(svg), "logo.svg")])
    assert r.status_code == 200 and "文件类型不被接受" in r.get_data(as_text=True)
    r = _submit(client, data["app_id"], title="标题\x00")
    assert r.status_code == 200
    r = _submit(client, data["app_id"], title="长" * 101)
    assert r.status_code == 200 and "标题不超过100字" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(TypicalCase.id)) is None
    # Another organisation's application, and an application that is not approved.
    assert _submit(client, data["other_id"]).status_code == 403
    with app.app_context():
        db.session.get(Application, data["app_id"]).state = S.SCORED
        db.session.commit()
    assert _submit(client, data["app_id"]).status_code == 403
