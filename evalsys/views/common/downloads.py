"""Stored files sent back to the browser: the service returns the verified bytes, the view makes the download."""
from __future__ import annotations

from flask import Response

from ...domain.uploads import safe_download_name
from ...models.file import StoredFile
from ...services.files import read_verified


def send_stored(stored: StoredFile) -> Response:
    """An attachment response with the original (Chinese) name, after the hash check."""
    data = read_verified(stored)
    response = Response(data, mimetype=stored.mime)
    response.headers["Content-Disposition"] = safe_download_name(stored.original_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
