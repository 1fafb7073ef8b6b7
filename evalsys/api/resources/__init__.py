"""The API's resources, one module per area; importing them adds their routes to the blueprint."""
from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any, TypeVar

from ..blueprint import bp

F = TypeVar("F", bound=Callable[..., Any])

#: The documented header of the idempotent writes.
IDEMPOTENCY_HEADER = {"in": "header", "name": "Idempotency-Key", "required": False,
                      "schema": {"type": "string", "maxLength": 200},
                      "description": "重试同一请求时使用同一个键：返回首次的结果，不会重复办理"}


def problems(*codes: int) -> Callable[[F], F]:
    """Document the problem+json answers an operation gives (besides the default error response)."""

    def decorate(view: F) -> F:
        for code in codes:
            view = bp.alt_response(code, response=http.HTTPStatus(code).name)(view)
        return view

    return decorate
