"""The browser tests' HTTP server: a response body is closed before any of it is sent."""
from __future__ import annotations

from tests.e2e.conftest import _whole_bodies


class _Body:
    def __init__(self):
        self.closed = False

    def __iter__(self):
        yield b"con"
        yield b"tent"

    def close(self):
        self.closed = True


def test_a_body_is_read_whole_and_closed_before_the_server_writes_it():
    body = _Body()
    started = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    served = _whole_bodies(app)({}, lambda status, headers: started.append(status))
    assert body.closed  # a dropped connection can no longer leave it open
    assert served == [b"content"]
    assert started == ["200 OK"]
