"""What the decision pages of several audiences share: loading a call."""
from __future__ import annotations

from flask import abort

from ...models import Call
from ...services.calls import find_call


def load_call(code: str) -> Call:
    return find_call(code) or abort(404)
