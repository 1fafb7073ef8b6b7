"""Pure checks of uploaded bytes: sniffed type allow-list, size, active PDF content; download names."""
from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote

from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from .errors import InvalidInput, Message, N_
from typing import Any

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # security.md: 20 MB a file


@dataclass(frozen=True)
class UploadKind:
    """What the bytes really are, decided from content, never from the name or the browser."""

    kind: str
    mime: str
    extension: str


PDF = UploadKind("pdf", "application/pdf", ".pdf")
PNG = UploadKind("png", "image/png", ".png")
JPEG = UploadKind("jpeg", "image/jpeg", ".jpg")
KINDS = {k.kind: k for k in (PDF, PNG, JPEG)}
IMAGE_KINDS = frozenset({"png", "jpeg"})


class UploadRejected(InvalidInput):
    """An upload that is not accepted; `message` is Chinese and safe to show."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message, **params)
        self.code = code


# What a PDF may not carry, by kind; each kind has its own message. security.md names JavaScript
# and launch actions; the same reasoning (the file acts by itself, or carries something other
# than the document) refuses remote go-to actions, form submission or import, embedded files and
# file-attachment annotations, and RichMedia (Flash/3D/video players).
_MESSAGES = {
    "script": N_("PDF文件包含脚本或启动程序的动作，不能上传"),
    "uri_on_open": N_("PDF文件包含打开或浏览时自动访问网址的动作，不能上传"),
    "submit": N_("PDF文件包含提交或导入表单数据的动作（SubmitForm/ImportData），不能上传"),
    "embedded": N_("PDF文件包含嵌入文件或文件附件，不能上传，请将附件单独上传"),
    "rich_media": N_("PDF文件包含富媒体（RichMedia）内容，不能上传"),
    "remote_goto": N_("PDF文件包含跳转到其他文件的动作（GoToR/GoToE），不能上传"),
}
# Dictionary keys that are refused wherever they appear.
_REFUSED_KEYS = {"/JavaScript": "script", "/JS": "script", "/Launch": "script",
                 "/EmbeddedFiles": "embedded", "/EF": "embedded",
                 "/RichMediaContent": "rich_media", "/RichMediaSettings": "rich_media"}
# Action types (/S) refused wherever they appear.
_REFUSED_ACTIONS = {"/JavaScript": "script", "/Launch": "script", "/SubmitForm": "submit",
                    "/ImportData": "submit", "/GoToR": "remote_goto", "/GoToE": "remote_goto"}
# Action types refused when they run by themselves: under the catalog's /OpenAction or any /AA
# (document open/close, page open, form-field and annotation triggers). A link a reader clicks
# (/Link with /URI) stays allowed; a normal internal link (/GoTo, /Dest) always is.
_TRIGGERED_ACTIONS = {"/URI": "uri_on_open"}
_TRIGGER_KEYS = frozenset({"/OpenAction", "/AA"})
_REFUSED_SUBTYPES = {"/FileAttachment": "embedded", "/RichMedia": "rich_media"}
_REFUSED_TYPES = {"/EmbeddedFile": "embedded"}
# Plain-text occurrence of the long names, delimited as PDF tokens: catches objects the parser
# never reaches (orphans, old revisions). Not "/JS" or "/EF": a few bytes turn up by chance in
# megabytes of compressed scan data; the object walk finds those keys instead.
_RAW_REFUSED = re.compile(rb"/(JavaScript|Launch|SubmitForm|ImportData|GoToR|GoToE|EmbeddedFiles?|FileAttachment"
                          rb"|RichMedia(?:Content|Settings)?)(?=[\s/<>\[\]()%{}]|\Z)")
_RAW_KINDS = {b"JavaScript": "script", b"Launch": "script", b"SubmitForm": "submit", b"ImportData": "submit",
              b"GoToR": "remote_goto", b"GoToE": "remote_goto", b"EmbeddedFiles": "embedded",
              b"EmbeddedFile": "embedded", b"FileAttachment": "embedded", b"RichMedia": "rich_media",
              b"RichMediaContent": "rich_media", b"RichMediaSettings": "rich_media"}
_MAX_PDF_OBJECTS = 200_000
_MAX_IMAGE_PIXELS = 50_000_000


def sniff(data: bytes) -> UploadKind:
    """The type of `data` from its first bytes; anything but PDF, PNG and JPEG is refused."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    raise UploadRejected("type", N_("文件类型不被接受：只能上传PDF文件或PNG、JPEG图片"))


def read_limited(stream: BinaryIO, max_bytes: int = MAX_UPLOAD_BYTES) -> bytes:
    """Read at most max_bytes + 1 bytes, refusing a larger stream without reading all of it."""
    data = stream.read(max_bytes + 1)
    check_size(data, max_bytes)
    return data


def check_size(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse empty files and files above `max_bytes`."""
    if not data:
        raise UploadRejected("empty", N_("文件为空"))
    if len(data) > max_bytes:
        limit = f"{max_bytes / 1024 / 1024:g} MB" if max_bytes >= 1024 * 1024 \
            else Message(N_("%(max_bytes)s 字节"), max_bytes=max_bytes)
        raise UploadRejected("size", N_("文件过大：每个文件不能超过 %(limit)s"), limit=limit)


def _refused_entry(key: str, value: object) -> str | None:
    """The kind of refusal one dictionary entry calls for, if any."""
    if key in _REFUSED_KEYS:
        return _REFUSED_KEYS[key]
    if key == "/S":
        return _REFUSED_ACTIONS.get(str(value))
    if key == "/Subtype":
        return _REFUSED_SUBTYPES.get(str(value))
    if key == "/Type":
        return _REFUSED_TYPES.get(str(value))
    return None


def _resolved(obj: object) -> object:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _triggered_kind(key: str, value: object) -> str | None:
    """The refused kind of an action that runs by itself: the catalog's /OpenAction (when it is an
    action, not a destination) or any trigger of an /AA, following each action's /Next chain.
    Only the actions are followed, never what they point at (a destination's page and its links)."""
    value = _resolved(value)
    if key == "/OpenAction":
        todo = [value] if isinstance(value, DictionaryObject) else []
    elif isinstance(value, DictionaryObject):  # /AA: {trigger: action}
        todo = list(value.values())
    else:
        todo = []
    steps = 0
    while todo and steps < 1000:
        steps += 1
        action = _resolved(todo.pop())
        if not isinstance(action, DictionaryObject):
            continue
        kind = _TRIGGERED_ACTIONS.get(str(action.get("/S", "")))
        if kind is not None:
            return kind
        following = _resolved(action.get("/Next"))
        if isinstance(following, DictionaryObject):
            todo.append(following)
        elif isinstance(following, ArrayObject):
            todo.extend(following)
    return None


def _walk_active(reader: PdfReader) -> str | None:
    """Walk every reachable and every listed object; return the kind of the first refused content."""
    stack: list[object] = [reader.trailer]
    for gen, numbers in reader.xref.items():
        stack.extend(IndirectObject(num, gen, reader) for num in numbers)
    stack.extend(IndirectObject(num, 0, reader) for num in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        obj = stack.pop()
        visited += 1
        if visited > _MAX_PDF_OBJECTS:
            return "too many objects"
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # streams are dictionaries too
            for key, value in obj.items():
                kind = _refused_entry(str(key), value)
                if kind is None and key in _TRIGGER_KEYS:
                    kind = _triggered_kind(str(key), value)
                if kind is not None:
                    return kind
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return None


def scan_pdf(data: bytes) -> None:
    """Refuse a PDF with JavaScript or launch actions, form submission or import, remote go-to
    actions, embedded files or file attachments, RichMedia, or a URI action that runs on open
    (/OpenAction, /AA) — also inside compressed object streams.

    The whole object graph is walked (catalog, names tree, OpenAction, AA, annotations and every
    object in the cross-reference tables), so hiding an action in an object stream or behind a
    hex-escaped name (/J#53) does not help. A PDF that cannot be parsed, or is encrypted (its
    objects cannot be inspected), is refused: fail closed.
    """
    raw = _RAW_REFUSED.search(data)
    if raw:
        raise UploadRejected("pdf_active", _MESSAGES[_RAW_KINDS[raw.group(1)]])
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UploadRejected("pdf_encrypted", N_("PDF文件已加密，无法检查，请上传未加密的文件"))
        found = _walk_active(reader)
    except UploadRejected:
        raise
    except Exception as exc:  # any parser failure means we cannot vouch for the file
        raise UploadRejected("pdf_unreadable", N_("PDF文件无法解析，请重新生成后上传")) from exc
    if found is not None:
        raise UploadRejected("pdf_active", _MESSAGES.get(found, _MESSAGES["script"]))


def _check_image(data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            im.verify()  # checks structure and checksums without decoding the pixels
    except Exception as exc:
        raise UploadRejected("image_unreadable", N_("图片文件已损坏或格式不正确")) from exc
    if width * height > _MAX_IMAGE_PIXELS:
        raise UploadRejected("image_size", N_("图片尺寸过大"))


def check_upload(
    data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES,
    allowed: Collection[str] = ("pdf", "png", "jpeg"),
) -> UploadKind:
    """Check an upload's content: size, sniffed kind within `allowed`, PDF scan, image structure."""
    check_size(data, max_bytes)
    found = sniff(data)
    if found.kind not in allowed:
        names = "、".join("PDF" if k == "pdf" else k.upper() for k in allowed)
        raise UploadRejected("type", N_("此处只接受以下类型的文件：%(names)s"), names=names)
    if found is PDF:
        scan_pdf(data)
    else:
        _check_image(data)
    return found


_UNSAFE_FALLBACK = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 150


def clean_filename(original: str) -> str:
    """The name part of a client-supplied file name: no path, no control characters, bounded."""
    name = re.split(r"[\\/]", original or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > _MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot else ""
        name = name[: _MAX_NAME - len(ext) - 1] + ("." + ext if ext else "")
    return name or "download"


def safe_download_name(original: str) -> str:
    """A Content-Disposition value keeping a Chinese name (RFC 6266 / RFC 5987):
    attachment; filename="<ascii fallback>"; filename*=UTF-8''<percent-encoded>."""
    name = clean_filename(original)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = _UNSAFE_FALLBACK.sub("_", ascii_stem).strip("._")
    if not stem.isascii():  # "申报书 (1)" would shrink to "1": say it is only a stand-in
        ascii_stem = "_".join(filter(None, ("download", ascii_stem)))
    ascii_ext = _UNSAFE_FALLBACK.sub("", ext)
    fallback = (ascii_stem or "download") + ("." + ascii_ext if ascii_ext else "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
