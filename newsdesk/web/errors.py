"""One error shape for the whole desk: `{"ok": false, "status", "error", "errors"}`.

Clients (scripts, the desk's own JavaScript, other tools) handle a single shape whatever
went wrong: an unknown route, a bad filter, a missing token, a crash. Page routes asked for
by a browser get the same fields rendered as a small HTML page instead.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from markupsafe import escape
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class DeskError(Exception):
    """An error the desk reports to the client with a status and a message it can act on."""

    def __init__(self, status: int, error: str, errors: list[Any] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.errors = errors or []


def error_body(status: int, error: str, errors: list[Any] | None = None) -> dict[str, Any]:
    return {"ok": False, "status": status, "error": error, "errors": errors or []}


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception the app can raise through `_respond`."""

    @app.exception_handler(DeskError)
    async def _desk(request: Request, exc: DeskError) -> JSONResponse | HTMLResponse:
        return _respond(request, exc.status, exc.error, exc.errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse | HTMLResponse:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such page or resource: {request.url.path}"
        return _respond(request, exc.status_code, message, [], headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(
        request: Request, exc: RequestValidationError
    ) -> JSONResponse | HTMLResponse:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        summary = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return _respond(request, 422, f"invalid request: {summary}", errors)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse | HTMLResponse:
        log.exception("unhandled error on %s", request.url.path)
        return _respond(request, 500, f"internal error: {type(exc).__name__}", [])


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _respond(
    request: Request,
    status: int,
    error: str,
    errors: list[Any],
    headers: dict[str, str] | None = None,
) -> JSONResponse | HTMLResponse:
    if _wants_html(request):
        page = (
            "<!doctype html><meta charset=utf-8><title>newsdesk: error</title>"
            "<link rel=stylesheet href=/static/desk.css>"
            f"<main class=error-page><h1>{status}</h1><p class=error>{escape(error)}</p>"
            "<p><a href=/>Back to the stories</a></p></main>"
        )
        return HTMLResponse(page, status_code=status, headers=headers)
    return JSONResponse(error_body(status, error, errors), status_code=status, headers=headers)
