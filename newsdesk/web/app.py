"""The desk: a FastAPI app over the store, with a JSON API and server-rendered pages.

Pages are rendered with jinja2 autoescaping and a little vanilla JavaScript; all assets,
Leaflet and the basemap included, are served from the package so the desk works with no
network, and a strict Content-Security-Policy says so to the browser. Reads are open; writes
(review, upload) need the token given at start-up, checked before the body is read.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsdesk.ingest.readers import MAX_DOCUMENT_BYTES
from newsdesk.publish import export
from newsdesk.web.brief_view import render_brief
from newsdesk.web.errors import DeskError, error_body, install_error_handlers
from newsdesk.web.highlight import Mark, article_marks, highlight
from newsdesk.web.jobs import Jobs
from newsdesk.web.queries import SEARCH_CANDIDATES, Desk, Filters, Page

_HERE = Path(__file__).resolve().parent
EXPORT_FORMATS = {
    "csv": "text/csv",
    "geojson": "application/geo+json",
    "jsonl": "application/x-ndjson",
}
"""Export formats by name: the name picks a builder, it is never used as a path."""
SHUTDOWN_GRACE_S = 3
"""Seconds a stopping desk lets requests finish; alert streams never finish by themselves."""
MAX_UPLOAD_MB = MAX_DOCUMENT_BYTES // 1_048_576
"""What one upload may hold, files and pasted text together: the reader's limit for one
document, so whatever the desk accepts the reader reads. The page states this number."""
_FORM_OVERHEAD_BYTES = 1_048_576
"""Room for multipart boundaries and part headers on top of the uploaded bytes."""
_WRITE_BODY_BYTES = 1_048_576
"""The most any other write (a review, alerts marked read: a few JSON fields) may send."""
_WRITE_CAP = (_WRITE_BODY_BYTES, f"request too large: the limit is {_WRITE_BODY_BYTES:,} bytes")
_UNCHECKED_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OWN_CSP_PATHS = ("/docs", "/redoc")
"""FastAPI's API pages load Swagger UI and ReDoc from a CDN with an inline script; they get
only `frame-ancestors`, the rest of the desk the strict policy."""


class ReviewIn(BaseModel):
    """A reviewer's decision on one incident; `changes` only for edits."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["accept", "edit", "reject", "merge"]
    who: str = Field(min_length=1, max_length=120)
    changes: dict[str, Any] = Field(default_factory=dict)
    merge_into: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=2000)


class AlertsReadIn(BaseModel):
    """Alerts to mark read: `ids`, or every alert on the desk when `ids` is null."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[str, Field(max_length=200)]] | None = Field(default=None, max_length=1000)


def _filters(
    q: Annotated[str | None, Query(max_length=500)] = None,
    outlet: Annotated[str | None, Query(max_length=200)] = None,
    date_from: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    date_to: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    event_type: Annotated[str | None, Query(max_length=100)] = None,
    grade: Annotated[str | None, Query(max_length=40)] = None,
    story_id: Annotated[str | None, Query(max_length=200)] = None,
    article_id: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[
        Literal["machine", "accepted", "edited", "rejected", "merged"] | None,
        Query(description="review status"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Filters:
    return Filters(
        q=q or None,
        outlet=outlet or None,
        date_from=date_from,
        date_to=date_to,
        country=country.upper() if country else None,
        actor=actor or None,
        event_type=event_type or None,
        grade=grade or None,
        story_id=story_id or None,
        article_id=article_id or None,
        status=status,
        limit=limit,
        offset=offset,
    )


FiltersDep = Annotated[Filters, Depends(_filters)]


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters an endpoint reads, its dependencies' included."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _known_params_only(request: Request) -> None:
    """Refuse query parameters the endpoint does not take: a misspelt filter (`contry=SY`)
    would otherwise be ignored and answer with everything, silently."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise DeskError(
            422,
            f"unknown query parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
            f"this endpoint takes {', '.join(sorted(known)) or 'none'}",
            [{"loc": ["query", name], "msg": "unknown query parameter", "field": name}
             for name in unknown],
        )  # fmt: skip


def create_app(
    db_path: Path | str,
    *,
    token: str | None,
    tile_url: str | None = None,
    max_upload_mb: int = MAX_UPLOAD_MB,
    alert_poll_s: float = 2.0,
) -> FastAPI:
    """Build the desk over the store at `db_path`.

    `token=None` makes the desk read-only; `tile_url` (an XYZ template) replaces the bundled
    offline basemap with online tiles (the policy then lets images come from its host). An
    upload above `max_upload_mb` is refused unread when its declared length says so, else as
    soon as the bytes received pass the limit. The alert stream looks for the watcher's new
    alerts every `alert_poll_s` seconds: the watcher is another process, so the store is the
    only thing both see.
    """
    desk = Desk(Path(db_path))
    jobs = Jobs(Path(db_path))
    app = FastAPI(
        title="newsdesk",
        summary="Stories, incidents, claims and their sources, from the user's own reports.",
        version="0.1.0",
        # FastAPI's /docs and /redoc load their scripts from a CDN and are blank offline;
        # the desk's /docs is ReDoc from the package (see `page_docs`).
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    max_bytes = max_upload_mb * 1024 * 1024
    too_large = (
        f"upload too large: the limit is {max_upload_mb} MB for files and pasted text together"
    )
    app.add_middleware(
        _Guard,
        token=token,
        headers=_security_headers(tile_url),
        caps={"/api/uploads": (max_bytes + _FORM_OVERHEAD_BYTES, too_large)},
    )
    app.state.desk = desk
    app.state.jobs = jobs
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    templates.env.globals.update(
        writable=token is not None,
        tile_url=tile_url,
        search_candidates=SEARCH_CANDIDATES,
        alert_counts=desk.alert_counts,
    )
    templates.env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False)
    templates.env.filters["safe_url"] = _safe_url
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    api = APIRouter(prefix="/api", dependencies=[Depends(_known_params_only)])

    @api.get("/counts", tags=["meta"])
    def api_counts() -> dict[str, Any]:
        return {"ok": True, **desk.counts()}

    @api.get("/stories", tags=["stories"])
    def api_stories(f: FiltersDep) -> dict[str, Any]:
        return _page(desk.stories(f), f)

    @api.get("/stories/{story_id}", tags=["stories"])
    def api_story(story_id: str) -> dict[str, Any]:
        return {"ok": True, "story": desk.story(story_id)}

    @api.get("/articles", tags=["articles"])
    def api_articles(f: FiltersDep) -> dict[str, Any]:
        return _page(desk.articles(f), f)

    @api.get("/articles/{article_id}", tags=["articles"])
    def api_article(article_id: str) -> dict[str, Any]:
        return {"ok": True, "article": desk.article(article_id)}

    @api.get("/incidents", tags=["incidents"])
    def api_incidents(f: FiltersDep) -> dict[str, Any]:
        """Incidents with reviews applied. `actor` is any name of an actor, in any case;
        when nothing matches, `suggestions` lists the registry actors named most like it.
        `status` picks a review queue (`machine`: not yet reviewed)."""
        page = desk.incidents(f)
        out = _page(page, f)
        if f.actor and page.total == 0:
            out["suggestions"] = desk.actor_suggestions(f.actor)
        return out

    @api.get("/map", tags=["incidents"])
    def api_map(f: FiltersDep) -> JSONResponse:
        """The incidents the desk's map draws: the latest located ones the filters select, at
        most `cap` (`limit` and `offset` do not apply), with what a marker and its popup show.
        `unlocated` counts those among them without coordinates."""
        # plain JSON values already: FastAPI's encoder would take longer than the query
        return JSONResponse(desk.map_incidents(f))

    @api.get("/incidents/{incident_id}", tags=["incidents"])
    def api_incident(incident_id: str) -> dict[str, Any]:
        return {
            "ok": True,
            "incident": desk.incident(incident_id),
            "reviews": desk.reviews(incident_id),
        }

    @api.post("/incidents/{incident_id}/review", tags=["incidents"])
    def api_review(incident_id: str, body: ReviewIn) -> dict[str, Any]:
        result = desk.review(
            incident_id,
            action=body.action,
            changes=body.changes,
            who=body.who,
            merge_into=body.merge_into,
            note=body.note,
        )
        return {"ok": True, "incident": result, "reviews": desk.reviews(incident_id)}

    @api.get("/claims", tags=["claims"])
    def api_claims(f: FiltersDep) -> dict[str, Any]:
        return _page(desk.claims(f), f)

    @api.get("/places", tags=["places"])
    def api_places(f: FiltersDep) -> dict[str, Any]:
        return _page(desk.places(f), f)

    @api.get("/actors", tags=["actors"])
    def api_actors(f: FiltersDep) -> dict[str, Any]:
        return _page(desk.actors(f), f)

    @api.get("/search", tags=["search"])
    def api_search(
        q: Annotated[str, Query(min_length=1, max_length=500)],
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        return {"q": q, **_page(desk.search(q, limit=limit), Filters(limit=limit))}

    @api.get("/export/{fmt}", tags=["exports"])
    def api_export(fmt: str, f: FiltersDep) -> Response:
        return _export(desk, fmt, f)

    # The guard caps the body; the part limit only has to let a paste that size through.
    @api.post(
        "/uploads",
        tags=["uploads"],
        status_code=202,
        form_limits={"max_part_size": max_bytes + _FORM_OVERHEAD_BYTES},
    )
    async def api_upload(
        files: Annotated[list[UploadFile] | None, File()] = None,
        text: Annotated[str | None, Form()] = None,
        kind: Annotated[Literal["text", "html"], Form()] = "text",
    ) -> JSONResponse:
        items: list[tuple[str, bytes]] = []
        total = 0
        for up in files or []:
            data = await up.read(max_bytes + 1)
            total += len(data)
            if total > max_bytes:
                raise DeskError(413, too_large)
            if data:
                items.append((up.filename or "upload", data))
        if text and text.strip():
            data = text.encode("utf-8")
            total += len(data)
            if total > max_bytes:
                raise DeskError(413, too_large)
            items.append((f"pasted.{'html' if kind == 'html' else 'txt'}", data))
        if not items:
            raise DeskError(422, "nothing to add: choose files or paste a report", [])
        job = jobs.submit(items)
        return JSONResponse({"ok": True, "job": job}, status_code=202)

    @api.get("/uploads/{job_id}", tags=["uploads"])
    def api_upload_status(job_id: str) -> dict[str, Any]:
        return {"ok": True, "job": jobs.get(job_id)}

    @api.get("/alerts", tags=["alerts"])
    def api_alerts(
        unread: bool = False,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        counts = desk.alert_counts()
        return {
            "ok": True,
            "total": counts["unread"] if unread else counts["total"],
            "unread": counts["unread"],
            "limit": limit,
            "offset": offset,
            "items": desk.alerts(unread=unread, limit=limit, offset=offset),
        }

    @api.post("/alerts/read", tags=["alerts"])
    def api_alerts_read(body: AlertsReadIn) -> dict[str, Any]:
        marked = desk.mark_alerts_read(body.ids)
        return {"ok": True, "marked": marked, "unread": desk.alert_counts()["unread"]}

    @api.get("/alerts/stream", tags=["alerts"], response_class=EventSourceResponse)
    async def api_alerts_stream(
        request: Request,
        after: Annotated[int | None, Query(ge=0)] = None,
    ) -> AsyncIterator[ServerSentEvent]:
        """New alerts as Server-Sent Events (`alert`), and the unread count when it changes
        (`unread`). Resumes after `Last-Event-ID` or `after`, else after the newest alert."""
        resume = request.headers.get("last-event-id", "")
        counts = await run_in_threadpool(desk.alert_counts)
        last = int(resume) if resume.isdigit() else counts["last"] if after is None else after
        unread = None
        while not await request.is_disconnected():
            counts = await run_in_threadpool(desk.alert_counts)
            while counts["last"] > last:
                new = await run_in_threadpool(
                    desk.alerts, after=last, limit=100, oldest_first=True
                )
                if not new:  # read between the count and the list: nothing on the desk
                    break
                for item in new:
                    yield ServerSentEvent(
                        event="alert", id=str(item["seq"]),
                        data={"alert": item, "unread": counts["unread"]},
                    )  # fmt: skip
                    last = item["seq"]
            if counts["unread"] != unread:
                unread = counts["unread"]
                yield ServerSentEvent(event="unread", data={"unread": unread})
            await asyncio.sleep(alert_poll_s)

    @api.get("/sources", tags=["sources"])
    def api_sources() -> dict[str, Any]:
        items = desk.sources()
        return {"ok": True, "total": len(items), "items": items}

    app.include_router(api)

    # Pages ---------------------------------------------------------------------------------

    def render(request: Request, name: str, **ctx: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, ctx)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page_stories(request: Request, f: FiltersDep) -> HTMLResponse:
        return render(
            request,
            "stories.html",
            page=desk.stories(f),
            f=f,
            outlets=desk.outlets(),
            query=_query_string(f),
        )

    @app.get("/stories/{story_id}", response_class=HTMLResponse, include_in_schema=False)
    def page_story(request: Request, story_id: str) -> HTMLResponse:
        s = desk.story(story_id)
        brief = render_brief(s["brief_md"], s["article_ids"]) if s.get("brief_md") else None
        return render(request, "story.html", s=s, brief=brief)

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def page_article(
        request: Request,
        article_id: str,
        start: Annotated[int | None, Query(ge=0)] = None,
        end: Annotated[int | None, Query(ge=0)] = None,
    ) -> HTMLResponse:
        """The report with its records highlighted; `start`/`end` mark a cited passage."""
        a = desk.article(article_id)
        marks = article_marks(
            places=a["places"], actors=a["actors"], claims=a["claims"], quotes=a["quotes"]
        )
        cited = None
        if start is not None and end is not None and start < end <= len(a["text"]):
            cited = (start, end)
            marks.append(Mark(start, end, "cite", f"cited passage, chars {start}–{end}"))
        return render(request, "article.html", a=a, body=highlight(a["text"], marks), cited=cited)

    @app.get("/incidents", response_class=HTMLResponse, include_in_schema=False)
    def page_incidents(request: Request, f: FiltersDep) -> HTMLResponse:
        page = desk.incidents(f)
        return render(
            request,
            "incidents.html",
            page=page,
            f=f,
            query=_query_string(f),
            facets=desk.incident_facets(),
            suggestions=desk.actor_suggestions(f.actor) if f.actor and not page.total else [],
        )

    @app.get("/incidents/{incident_id}", response_class=HTMLResponse, include_in_schema=False)
    def page_incident(request: Request, incident_id: str) -> HTMLResponse:
        incident = desk.incident(incident_id)
        return render(
            request,
            "incident.html",
            i=incident,
            reports=desk.reports(incident.get("article_ids") or []),
            reviews=desk.reviews(incident_id),
            facets=desk.incident_facets(),
        )

    @app.get("/map", response_class=HTMLResponse, include_in_schema=False)
    def page_map(request: Request, f: FiltersDep) -> HTMLResponse:
        return render(request, "map.html", f=f, query=_query_string(f, paged=False))

    @app.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
    def page_alerts(
        request: Request,
        unread: bool = False,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> HTMLResponse:
        counts = desk.alert_counts()
        return render(
            request,
            "alerts.html",
            items=desk.alerts(unread=unread, limit=limit, offset=offset),
            counts=counts,
            unread_only=unread,
            limit=limit,
            offset=offset,
        )

    @app.get("/sources", response_class=HTMLResponse, include_in_schema=False)
    def page_sources(request: Request) -> HTMLResponse:
        return render(request, "sources.html", sources=desk.sources())

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def page_docs(request: Request) -> HTMLResponse:
        """The API reference: ReDoc, vendored under /static, over /openapi.json."""
        return render(request, "redoc.html")

    @app.get("/docs/endpoints", response_class=HTMLResponse, include_in_schema=False)
    def page_endpoints(request: Request) -> HTMLResponse:
        """The API's endpoints and parameters drawn from /openapi.json with no script, for
        a browser without JavaScript or a quick look."""
        return render(request, "docs.html", endpoints=_endpoints(app.openapi()))

    @app.get("/add", response_class=HTMLResponse, include_in_schema=False)
    def page_add(request: Request) -> HTMLResponse:
        return render(
            request,
            "add.html",
            max_upload_mb=max_upload_mb,
            max_bytes=max_bytes,
            too_large=too_large,
        )

    return app


def serve(
    db_path: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    tile_url: str | None = None,
    max_upload_mb: int = MAX_UPLOAD_MB,
) -> None:
    """Run the desk with uvicorn until interrupted."""
    import uvicorn

    app = create_app(db_path, token=token, tile_url=tile_url, max_upload_mb=max_upload_mb)
    # An open page holds its alert stream open: without a bound, stopping the desk would
    # wait for every tab to close.
    uvicorn.run(app, host=host, port=port, log_level="info",
                timeout_graceful_shutdown=SHUTDOWN_GRACE_S)


def _page(page: Page, f: Filters) -> dict[str, Any]:
    """A list answer: `total` is exact unless `total_is_lower_bound` (more matched than the
    desk counts); `matches_truncated` says a text query matched more reports than it read."""
    return {
        "ok": True,
        "total": page.total,
        "total_is_lower_bound": page.total_is_lower_bound,
        "matches_truncated": page.matches_truncated,
        "limit": f.limit,
        "offset": f.offset,
        "items": page.items,
    }


def _export(desk: Desk, fmt: str, f: Filters) -> Response:
    if fmt not in EXPORT_FORMATS:
        raise DeskError(
            404, f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}"
        )
    incidents = desk.incidents_for_export(f)
    actor_ids = {i[k] for i in incidents for k in ("actor1_id", "actor2_id") if i.get(k)}
    if fmt == "csv":
        _, stamps = desk.export_context(incidents)
        body = export.acled_csv(incidents, desk.inter_codes(actor_ids), stamps)
    elif fmt == "geojson":
        urls, _ = desk.export_context(incidents)
        body = json.dumps(export.geojson(incidents, urls, desk.inter_codes(actor_ids)),
                          ensure_ascii=False)
    else:
        body = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in incidents)
    return Response(
        body,
        media_type=EXPORT_FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="incidents.{fmt}"'},
    )


def _endpoints(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of an OpenAPI document: method, path, summary and parameters."""
    out = []
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "description": p.get("description") or "",
                    "schema": _schema_text(p.get("schema") or {}),
                }
                for p in op.get("parameters", [])
            ]
            out.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description") or "", "tags": op.get("tags", []),
                "params": params, "body": "requestBody" in op,
            })  # fmt: skip
    return out


def _schema_text(schema: dict[str, Any]) -> str:
    """A parameter's type as one short phrase: `integer 1..500`, `one of a, b`."""
    if "anyOf" in schema:
        return " or ".join(_schema_text(s) for s in schema["anyOf"] if s.get("type") != "null")
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    text = schema.get("type", "")
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None or hi is not None:
        text += f" {'' if lo is None else lo}..{'' if hi is None else hi}"
    if "pattern" in schema:
        text += f" matching {schema['pattern']}"
    return text


def _safe_url(url: str | None) -> str | None:
    """Only web addresses become links: a stored `javascript:` URL must never be clickable."""
    if url and url.split(":", 1)[0].lower() in ("http", "https"):
        return url
    return None


def _query_string(f: Filters, *, paged: bool = True) -> str:
    """The current filters as a query string, so exports and pages follow what is shown."""
    from urllib.parse import urlencode

    params = {k: v for k, v in f.as_params().items() if v not in (None, "")}
    if not paged:
        params.pop("limit", None)
        params.pop("offset", None)
    return urlencode(params)


_CLOSE = {"Connection": "close"}
"""On a refused write: the server closes the connection instead of reading on a body that
nobody will look at until the client stops sending."""


class _BodyTooLarge(HTTPException):
    """Raised from the body stream once a write sends more than its cap; FastAPI passes an
    HTTPException raised while it reads the body on to the desk's error handler."""


class _Guard:
    """Security headers on every response; for a write, the token and the declared length are
    checked before a byte of the body is read, and the body is counted as it streams.

    FastAPI reads and validates a body before it runs a route's dependencies, so a token
    check there would let anyone make the desk receive and parse 200 MB, and would answer a
    malformed body without a token with 422. Any method but GET, HEAD and OPTIONS is a write.
    `caps` maps a path to its (byte cap, message); other writes get `_WRITE_BODY_BYTES`.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        headers: dict[str, list[tuple[bytes, bytes]]],
        caps: dict[str, tuple[int, str]],
    ) -> None:
        self.app = app
        self.token = token
        self.headers = headers
        self.caps = caps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own = scope["path"].startswith(_OWN_CSP_PATHS)
        extra = self.headers["docs" if own else "desk"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        if scope["method"] in _UNCHECKED_METHODS:
            await self.app(scope, receive, send_with_headers)
            return
        headers = Headers(scope=scope)
        cap, too_large = self.caps.get(scope["path"], _WRITE_CAP)
        refusal = _token_refusal(headers, self.token)
        length = headers.get("content-length", "")
        if refusal is None and length.isdigit() and int(length) > cap:
            refusal = DeskError(413, too_large)
        if refusal is not None:
            response = JSONResponse(
                error_body(refusal.status, refusal.error),
                status_code=refusal.status,
                headers=_CLOSE,
            )
            await response(scope, receive, send_with_headers)
            return
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > cap:
                raise _BodyTooLarge(413, too_large, headers=_CLOSE)
            return message

        await self.app(scope, capped_receive, send_with_headers)


def _token_refusal(headers: Headers, token: str | None) -> DeskError | None:
    """Why a write is refused (403 read-only desk, 401 no or wrong token), or None."""
    if token is None:
        return DeskError(
            403, "the desk is read-only: start it with --token (or NEWSDESK_TOKEN) to allow writes"
        )
    given = headers.get("x-newsdesk-token") or ""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    if not given or not secrets.compare_digest(given.encode(), token.encode()):
        return DeskError(
            401, "a valid token is required for this action (Authorization: Bearer TOKEN)"
        )
    return None


def _security_headers(tile_url: str | None) -> dict[str, list[tuple[bytes, bytes]]]:
    """The headers every response carries, for the desk and for the API pages (`docs`).

    Every script and style is a file under /static (no inline code, no `style` attribute),
    so the policy needs no `unsafe-inline`; images may be `data:` (the page icon, Leaflet's
    blank tile) and, when the desk was started with online tiles, come from the tile host.
    """
    images = " ".join(["'self'", "data:", *([_tile_source(tile_url)] if tile_url else [])])
    desk_csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; font-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    common = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
    ]
    return {
        "desk": [(b"content-security-policy", desk_csp.encode()), *common],
        "docs": [(b"content-security-policy", b"frame-ancestors 'none'"), *common],
    }


def _tile_source(tile_url: str) -> str:
    """The CSP source for an XYZ tile template: `https://{s}.tile.example/{z}/{x}/{y}.png`
    gives `https://*.tile.example`; a placeholder elsewhere in the host gives the scheme."""
    parts = urlsplit(tile_url)
    host = parts.netloc
    if host.startswith("{") and "}." in host:
        host = "*" + host[host.index("}.") + 1 :]
    if "{" in host or not host:
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{host}"
