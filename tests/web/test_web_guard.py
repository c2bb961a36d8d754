"""The desk's request limits and security headers (issue 16, items 9 and 12).

A write is refused on its token and its declared length before the desk reads a byte of
the body; a body without a declared length is counted as it streams and cut off at the
cap. The limit on an upload is one number: the page states it, the page's script checks
it, the server enforces it with the same message. Every response carries a strict CSP.
Requests go through FastAPI's TestClient, and through a real uvicorn server on 127.0.0.1
where what matters is what travels on the socket.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from desk_server import serving

from newsdesk.web import create_app
from newsdesk.web.app import MAX_UPLOAD_MB

TOKEN = "guard-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLE_REPORT = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "raqqa-2017"
    / "001_b5309f86b7870f1b.txt"
)


@pytest.fixture
def db(tmp_path: Path, data_dir: Path) -> Path:
    from tests.web.test_web_api import build_store, load_fixture

    path = tmp_path / "desk.db"
    build_store(path, load_fixture(data_dir))
    return path


def _error(resp, status: int) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["ok"] is False and body["status"] == status
    return body["error"]


def test_malformed_body_without_token_is_refused_on_the_token(db: Path) -> None:
    from fastapi.testclient import TestClient

    bad_json = {"content": b"{not json", "headers": {"Content-Type": "application/json"}}
    bad_form = {
        "content": b"--x\r\nContent-Disposition: form-data\r\n\r\nno end",
        "headers": {"Content-Type": "multipart/form-data; boundary=x"},
    }
    rw_app, ro_app = create_app(db, token=TOKEN), create_app(db, token=None)
    with TestClient(rw_app) as rw, TestClient(ro_app) as ro:
        for path, kwargs in (
            ("/api/incidents/inc-wall-strike/review", bad_json),
            ("/api/alerts/read", bad_json),
            ("/api/uploads", bad_form),
        ):
            assert "valid token" in _error(rw.post(path, **kwargs), 401)
            assert "read-only" in _error(ro.post(path, **kwargs), 403)
            wrong = {**kwargs, "headers": {**kwargs["headers"], "Authorization": "Bearer no"}}
            _error(rw.post(path, **wrong), 401)
        # With the token the same bodies get their own errors.
        _error(rw.post("/api/incidents/inc-wall-strike/review", **{**bad_json, "headers": {
            **bad_json["headers"], **AUTH}}), 422)  # fmt: skip
        _error(
            rw.post("/api/uploads", **{**bad_form, "headers": {**bad_form["headers"], **AUTH}}),
            400,
        )


def test_upload_limit_is_one_number_on_page_and_server(db: Path, monkeypatch) -> None:
    """1.5 MB of pasted text was refused with Starlette's "Field exceeded maximum size of
    1024KB" while the page promised 20 MB; now the page's number is the server's."""
    from fastapi.testclient import TestClient

    app = create_app(db, token=TOKEN)
    submitted: list[list[tuple[str, bytes]]] = []
    monkeypatch.setattr(
        app.state.jobs, "submit", lambda items: submitted.append(items) or {"id": "j1"}
    )
    report = EXAMPLE_REPORT.read_text(encoding="utf-8")
    pasted = (report * (1_600_000 // len(report) + 1))[:1_600_000]
    with TestClient(app) as c:
        page = c.get("/add").text
        assert f"up to {MAX_UPLOAD_MB} MB" in page
        limit = int(re.search(r'data-max-bytes="(\d+)"', page).group(1))
        message = re.search(r'data-too-large="([^"]+)"', page).group(1)
        assert limit == MAX_UPLOAD_MB * 1_048_576 == 20 * 1_048_576
        assert f"the limit is {MAX_UPLOAD_MB} MB" in message

        resp = c.post("/api/uploads", headers=AUTH, data={"text": pasted, "kind": "text"})
        assert resp.status_code == 202, resp.text
        assert submitted == [[("pasted.txt", pasted.encode())]]

        # One byte over, as a file or as text or both, gets the page's message.
        over = b"x" * (limit + 1)
        assert _error(c.post("/api/uploads", headers=AUTH, files={"files": ("a.txt", over)}),
                      413) == message  # fmt: skip
        assert _error(c.post("/api/uploads", headers=AUTH, data={"text": over.decode()}),
                      413) == message  # fmt: skip
        half = b"y" * (limit // 2 + 1)
        both = c.post(
            "/api/uploads", headers=AUTH, data={"text": half.decode()}, files={"files": ("b", half)}
        )
        assert _error(both, 413) == message
        assert len(submitted) == 1


def test_streamed_body_without_length_is_cut_at_the_cap(db: Path) -> None:
    from fastapi.testclient import TestClient

    pulled = 0

    def chunks() -> Iterator[bytes]:
        nonlocal pulled
        for _ in range(20):
            pulled += 1
            yield b"z" * 262_144

    with TestClient(create_app(db, token=TOKEN, max_upload_mb=1)) as c:
        resp = c.post(
            "/api/uploads",
            headers={**AUTH, "Content-Type": "multipart/form-data; boundary=x"},
            content=chunks(),
        )
        assert "the limit is 1 MB" in _error(resp, 413)
        review = c.post(
            "/api/incidents/inc-wall-strike/review",
            headers={**AUTH, "Content-Type": "application/json"},
            content=(b"[" + b"1," * 700_000 + b"1]" for _ in range(1)),
        )
        assert "request too large" in _error(review, 413)


def _send_until_answered(port: int, head: bytes, chunk: bytes, most: int) -> tuple[int, int]:
    """Send `head`, then `chunk` until the server answers or `most` bytes went out;
    returns (status, body bytes sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        answer = b""
        while sent < most and not answer:
            with suppress(BlockingIOError):
                answer = sock.recv(65_536)
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                time.sleep(0.001)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        while b"\r\n\r\n" not in answer:
            more = sock.recv(65_536)
            assert more, f"no answer after {sent:,} bytes"
            answer += more
    return int(answer.split(b" ", 2)[1]), sent


def test_200_mb_upload_is_refused_before_its_body_is_read(db: Path) -> None:
    big = 200 * 1_048_576
    chunk = b"x" * 65_536
    with serving(create_app(db, token=TOKEN)) as port:
        for auth, status in ((b"", 401), (f"Authorization: Bearer {TOKEN}\r\n".encode(), 413)):
            head = (
                b"POST /api/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth
                + b"Content-Type: multipart/form-data; boundary=x\r\n"
                + f"Content-Length: {big}\r\n\r\n".encode()
            )  # fmt: skip
            got, sent = _send_until_answered(port, head, chunk, big)
            assert got == status
            assert sent < 16 * 1_048_576, f"the desk read {sent:,} bytes before answering"


def test_chunked_upload_is_cut_off_near_the_cap(db: Path) -> None:
    part = b'--x\r\nContent-Disposition: form-data; name="text"\r\n\r\n'
    chunk = b"10000\r\n" + b"x" * 65_536 + b"\r\n"
    head = (
        f"POST /api/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n"
        f"{len(part):x}\r\n"
    ).encode() + part + b"\r\n"
    with serving(create_app(db, token=TOKEN, max_upload_mb=1)) as port:
        status, sent = _send_until_answered(port, head, chunk, 200 * 1_048_576)
    assert status == 413
    assert sent < 16 * 1_048_576, f"the desk read {sent:,} bytes before answering"


CSP = re.compile(r"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;")


def test_every_desk_response_carries_the_security_headers(db: Path) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(db, token=TOKEN), raise_server_exceptions=False) as c:
        responses = [
            c.get("/"),
            c.get("/incidents/inc-wall-strike"),
            c.get("/map"),
            c.get("/add"),
            c.get("/api/incidents"),
            c.get("/api/export/csv"),
            c.get("/static/desk.js"),
            c.get("/no/such/page", headers={"Accept": "text/html"}),
            c.post("/api/uploads", data={"text": "x"}),
            c.post("/api/uploads", headers=AUTH, data={"text": " "}),
            c.get("/openapi.json"),
        ]
        for resp in responses:
            h = resp.headers
            assert CSP.match(h["content-security-policy"]), (resp.url, h)
            assert "frame-ancestors 'none'" in h["content-security-policy"]
            assert "unsafe-inline" not in h["content-security-policy"]
            assert h["x-content-type-options"] == "nosniff"
            assert h["referrer-policy"] == "no-referrer"
            assert h["x-frame-options"] == "DENY"
            assert h.get_list("content-security-policy") == [h["content-security-policy"]]
        # Swagger UI and ReDoc come from a CDN with an inline script: only framing is barred.
        for path in ("/docs", "/redoc"):
            h = c.get(path).headers
            assert h["content-security-policy"] == "frame-ancestors 'none'"
            assert h["x-content-type-options"] == "nosniff"


def test_templates_hold_no_inline_script_or_style() -> None:
    """What the policy forbids must not be in the pages: an inline script or style, a
    `style` attribute or an event handler attribute would be blocked in the browser."""
    templates = Path(__file__).resolve().parents[2] / "newsdesk" / "web" / "templates"
    for path in templates.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path.name
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html), path.name


@pytest.mark.parametrize(
    ("tile_url", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://tiles-{s}.example.org:8080/{z}/{x}/{y}.png", "http:"),
    ],
)
def test_online_tiles_are_allowed_as_images_only(db: Path, tile_url: str, source: str) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(db, token=None, tile_url=tile_url)) as c:
        policy = c.get("/map").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["img-src"] == f"'self' data: {source}"
    assert source not in json.dumps({k: v for k, v in directives.items() if k != "img-src"})
