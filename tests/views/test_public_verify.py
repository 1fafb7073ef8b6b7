"""Public verification: the lookup form (good serial, unknown serial answered on the form), the QR
code and printed address of every issued PDF (decoded from the rendered page), the applicant's
submission receipt (downloaded, verified, a tampered copy refused) and the address fallback."""
from __future__ import annotations

import io
import re

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import select

from evalsys.domain.workflow import ApplicationState
from evalsys.extensions import db
from evalsys.models import Application, Role, SubmissionReceipt
from evalsys.services.evaluation_reports import issue_report, report_path
from evalsys.services.verification import public_base_url, verify_url
from tests.conftest import csrf_token, login
from tests.evalutil import advance, make_perf_base, make_round, signing_config
from tests.factories import make_application, make_call, make_org, make_user

BASE = "https://evalsys.example.gov.cn"


@pytest.fixture
def app_config(app_config, tmp_path_factory):
    app_config.update(signing_config(tmp_path_factory.getbasetemp() / "signing"))
    app_config.update({"VERIFY_MAX_BYTES": 200_000, "PUBLIC_BASE_URL": BASE + "/"})
    return app_config


@pytest.fixture
def world(app):
    """An issued report, and an applicant with a complete draft in an open call."""
    with app.app_context():
        base = make_perf_base()
        round_ = make_round([base])
        admin = make_user(Role.ADMIN, username="v-admin", commit=False)
        op = make_user(Role.APPLICANT, username="v-op", organisation=base.operator, commit=False)
        js = make_user(Role.AUTHORITY, username="v-js", authority_code="320000", commit=False)
        advance(round_.evaluations[0], fraction="0.95", to="accepted", operator=op, authority=js, admin=admin)
        report = issue_report(round_.evaluations[0], actor=admin)
        call = make_call(title="回执测试批次")
        org = make_org(name="回执测试有限公司")
        make_user(Role.APPLICANT, username="v-app", organisation=org, commit=False)
        application = make_application(call, org)
        db.session.commit()
        return {"serial": report.serial, "path": str(report_path(report)), "base": base.name,
                "total": round_.evaluations[0].total, "app": application.id, "org": org.name}


def _qr_on_first_page(pdf: bytes) -> list[str]:
    """Render page 1 and decode every QR code on it."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        image = doc[0].render(scale=3).to_pil()
    finally:
        doc.close()
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", "", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


def _submit(app, world):
    c = app.test_client()
    assert login(c, "v-app").status_code == 302
    page = f"/applicant/applications/{world['app']}"
    r = c.post(f"{page}/submit", data={"csrf_token": csrf_token(c, page)})
    assert r.status_code == 302
    return c


def test_lookup_form_finds_a_report_and_answers_an_unknown_serial_on_the_form(app, world):
    c = app.test_client()
    r = c.get("/public/verify")
    assert r.status_code == 200 and 'name="serial"' in r.get_data(as_text=True)
    token = csrf_token(c, "/public/verify")
    r = c.post("/public/verify", data={"csrf_token": token, "serial": f"  {world['serial'].lower()} "})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and world["serial"] in html and world["base"] in html and world["total"] not in html
    r = c.post("/public/verify", data={"csrf_token": token, "serial": "PERF-T-0001-AAAAAAAAAA"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "未找到编号为“PERF-T-0001-AAAAAAAAAA”的报告或回执" in html and 'name="serial"' in html
    assert "操作冲突" not in html and "事件编号" not in html
    r = c.get("/public/verify?serial=nope%00x")
    assert r.status_code == 200 and "未找到编号" in r.get_data(as_text=True)
    r = c.get(f"/public/verify?serial={world['serial']}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/public/verify/{world['serial']}")


def test_lookup_with_the_file_compares_it(app, world):
    with open(world["path"], "rb") as fh:
        good = fh.read()
    c = app.test_client()
    token = csrf_token(c, "/public/verify")
    r = c.post("/public/verify", data={"csrf_token": token, "serial": world["serial"],
                                       "file": (io.BytesIO(good), "报告.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 200 and "上传的文件与登记的报告一致" in r.get_data(as_text=True)
    bad = good[:-10] + b"0000000000"
    r = c.post("/public/verify", data={"csrf_token": token, "serial": world["serial"],
                                       "file": (io.BytesIO(bad), "报告.pdf")}, content_type="multipart/form-data")
    assert "不一致" in r.get_data(as_text=True)
    r = c.post("/public/verify", data={"csrf_token": token, "serial": world["serial"],
                                       "file": (io.BytesIO(b"x" * 300_000), "big.pdf")},
               content_type="multipart/form-data")
    assert r.status_code == 413


def test_issued_report_prints_its_verification_address_and_qr_code(app, world):
    with open(world["path"], "rb") as fh:
        pdf = fh.read()
    expected = f"{BASE}/public/verify/{world['serial']}"
    assert _qr_on_first_page(pdf) == [expected]
    assert expected in _text(pdf)


def test_receipt_on_submission_downloadable_verifiable_and_tamper_evident(app, world):
    c = _submit(app, world)
    with app.app_context():
        receipt = db.session.scalar(select(SubmissionReceipt))
        serial, submitted_at = receipt.serial, receipt.submitted_at
        assert db.session.get(Application, world["app"]).state == ApplicationState.SUBMITTED
    html = c.get(f"/applicant/applications/{world['app']}").get_data(as_text=True)
    assert f"/applicant/applications/{world['app']}/receipt.pdf" in html and serial in html
    r = c.get(f"/applicant/applications/{world['app']}/receipt.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and "attachment" in r.headers["Content-Disposition"]
    pdf = r.data
    expected = f"{BASE}/public/verify/{serial}"
    assert _qr_on_first_page(pdf) == [expected]
    text = _text(pdf)
    assert expected in text and "申报回执" in text and world["org"] in text
    # Another applicant cannot fetch it.
    other = app.test_client()
    with app.app_context():
        make_user(Role.APPLICANT, username="v-other")
    login(other, "v-other")
    assert other.get(f"/applicant/applications/{world['app']}/receipt.pdf").status_code in (403, 404)
    # The public page shows the listed fields only.
    anon = app.test_client()
    page = anon.get(f"/public/verify/{serial}")
    html = page.get_data(as_text=True)
    main = re.sub(r"<[^>]+>", " ", html[html.index("<main"):html.index("</main>")])
    for shown in ("申报回执", serial, world["org"], "回执测试批次"):
        assert shown in main
    from evalsys.domain.timeutil import format_beijing

    assert format_beijing(submitted_at) in main
    for hidden in ("张联系", "025-12345678", "得分", "评分", "江苏省南京市"):
        assert hidden not in main
    token = csrf_token(anon, f"/public/verify/{serial}")
    r = anon.post(f"/public/verify/{serial}", data={"csrf_token": token, "file": (io.BytesIO(pdf), "回执.pdf")},
                  content_type="multipart/form-data")
    assert "上传的文件与登记的回执一致" in r.get_data(as_text=True)
    tampered = pdf.replace("回执测试有限公司".encode("utf-16-be"), "改过测试有限公司".encode("utf-16-be"))
    tampered = tampered if tampered != pdf else pdf[:-20] + b"%%tampered%%%%%%%%%\n"
    assert tampered != pdf
    r = anon.post(f"/public/verify/{serial}", data={"csrf_token": token, "file": (io.BytesIO(tampered), "回执.pdf")},
                  content_type="multipart/form-data")
    assert "上传的文件与登记的回执不一致" in r.get_data(as_text=True)
    # The lookup form finds receipts too.
    r = anon.post("/public/verify", data={"csrf_token": token, "serial": serial})
    assert r.status_code == 200 and "申报回执核验" in r.get_data(as_text=True)


def test_each_submission_gets_its_own_receipt(app, world):
    c = _submit(app, world)
    page = f"/applicant/applications/{world['app']}"
    assert c.post(f"{page}/withdraw", data={"csrf_token": csrf_token(c, page)}).status_code == 302
    assert c.post(f"{page}/submit", data={"csrf_token": csrf_token(c, page)}).status_code == 302
    with app.app_context():
        serials = db.session.scalars(select(SubmissionReceipt.serial).order_by(SubmissionReceipt.id)).all()
    assert len(serials) == 2 and serials[0] != serials[1]
    assert serials[0].startswith(f"HZ-{world['app']:06d}-01-") and serials[1].startswith(f"HZ-{world['app']:06d}-02-")
    assert serials[1] in c.get(page).get_data(as_text=True)


def test_verification_address_fallback_without_public_base_url(app):
    app.config["PUBLIC_BASE_URL"] = ""
    with app.app_context():
        assert public_base_url() == "http://localhost"
        assert verify_url("HZ-000001-01-ABCDEFGHJK") == "http://localhost/public/verify/HZ-000001-01-ABCDEFGHJK"
    with app.test_request_context("/", base_url="https://pingtai.example.cn"):
        assert verify_url("X") == "https://pingtai.example.cn/public/verify/X"
    app.config["PUBLIC_BASE_URL"] = BASE + "/"
    with app.app_context():
        assert verify_url("X") == BASE + "/public/verify/X"
