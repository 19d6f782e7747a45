"""The web chat's request handlers: a form POST renders the page, a JSON POST gets JSON.

Every POST needs the session's cookie and its CSRF token (the X-CSRF-Token header, or
the form's csrf field) and is counted against the address's and the session's rate
limits; a request refused for any reason stores nothing and says why in plain words.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_sse import sse_response

from sendbot.adapters.web import keys
from sendbot.adapters.web.chat import TooLong, WebChat
from sendbot.adapters.web.live import POLL_S
from sendbot.adapters.web.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    Session,
    csrf_ok,
    drop_cookie,
    new_session,
    session_of,
    set_cookie,
)

log = logging.getLogger(__name__)

STREAM_SECONDS = 120  # an event stream ends after this; the browser reconnects
JSON_TYPE = "application/json"


class Refused(Exception):
    """A request the chat will not handle: an HTTP status and the message key to show."""

    def __init__(self, status: int, key: str, **values: object) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.values = values


def chat_of(request: web.Request) -> WebChat:
    """The web chat this server runs."""
    return request.app[keys.CHAT]


def t(request: web.Request, key: str, **values: object) -> str:
    """A sentence from messages.yaml."""
    return chat_of(request).app.services.texts.get(key, **values)


def council(request: web.Request) -> str:
    """The council's name, for the page."""
    return chat_of(request).app.services.kb.council_name


def wants_json(request: web.Request) -> bool:
    """Whether the page's script sent this request (JSON in, JSON out)."""
    return request.content_type == JSON_TYPE


async def home(request: web.Request) -> web.StreamResponse:
    """The root goes to the chat."""
    raise web.HTTPFound("/chat")


async def page(request: web.Request) -> web.StreamResponse:
    """The chat page with the conversation so far (a new session if there is none)."""
    chat = chat_of(request)
    settings = chat.app.settings
    session = session_of(request, settings, chat.app.services.keyring)
    if session is None:
        session = new_session(chat.app.services.keyring)
    entries = [] if session.new else await chat.entries(session)
    response = render_page(request, session, entries, error=None, status=200)
    if session.new:
        set_cookie(response, settings, session)
    return response


def render_page(
    request: web.Request,
    session: Session,
    entries: list[dict[str, Any]],
    error: str | None,
    status: int,
) -> web.Response:
    """The chat page."""
    context = {
        "t": lambda key, **v: t(request, key, **v),
        "council": council(request),
        "csrf": session.csrf,
        "entries": entries,
        "error": error,
        "embed": request.query.get("embed") == "1",
        "last_id": max((e["id"] for e in entries), default=0),
    }
    response = aiohttp_jinja2.render_template("chat.html", request, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


async def accessibility(request: web.Request) -> web.StreamResponse:
    """The accessibility statement."""
    texts = chat_of(request).app.services.texts
    context = {
        "t": lambda key, **v: t(request, key, **v),
        "raw": texts.raw,
        "council": council(request),
    }
    return aiohttp_jinja2.render_template("accessibility.html", request, context)


async def widget(request: web.Request) -> web.StreamResponse:
    """The script a council pastes into its pages to open the chat in a panel."""
    context = {
        "open_label": t(request, "web.widget_open"),
        "close_label": t(request, "web.widget_close"),
        "frame_title": t(request, "web.widget_frame"),
    }
    response = aiohttp_jinja2.render_template("widget.js", request, context)
    response.content_type = "text/javascript"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


async def _session_for_post(request: web.Request, body: dict[str, Any]) -> Session:
    """The POST's session, its CSRF token checked and its address's limit counted."""
    chat = chat_of(request)
    if not await request.app[keys.LIMITS].allow_ip(request):
        raise Refused(429, "web.error_rate")
    session = session_of(request, chat.app.settings, chat.app.services.keyring)
    if session is None:
        raise Refused(403, "web.error_session")
    token = request.headers.get(CSRF_HEADER) or body.get(CSRF_FIELD)
    if not csrf_ok(session, token if isinstance(token, str) else None):
        raise Refused(403, "web.error_session")
    return session


async def _body(request: web.Request) -> dict[str, Any]:
    """The request's fields, from JSON or a form; Refused if unreadable or too big."""
    try:
        if wants_json(request):
            data = json.loads(await request.read())
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return data
        return dict(await request.post())
    except web.HTTPRequestEntityTooLarge:
        raise Refused(
            413, "web.error_too_big", limit=chat_of(request).app.settings.max_message_chars
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "web.error_request") from None


def _text_field(body: dict[str, Any], name: str) -> str:
    """A string field of the body; Refused if missing or not a string."""
    value = body.get(name)
    if not isinstance(value, str):
        raise Refused(400, "web.error_request")
    return value


async def _post(request: web.Request, action: str) -> web.StreamResponse:
    """Run one POST: check it, act, answer as JSON or by showing the page again."""
    chat = chat_of(request)
    session: Session | None = None
    try:
        body = await _body(request)
        session = await _session_for_post(request, body)
        limits = request.app[keys.LIMITS]
        if action in ("send", "press") and not await limits.allow_session(session.chat_key):
            raise Refused(429, "web.error_rate")
        if action == "send":
            entries = await chat.send(session, _text_field(body, "text"))
        elif action == "press":
            data = _text_field(body, "data")
            if len(data.encode()) > 64:
                raise Refused(400, "web.error_request")
            entries = await chat.press(session, data)
        else:
            await chat.clear(session)
            entries = []
    except TooLong as error:
        refused = Refused(413, "too_long", length=error.length, limit=error.limit)
        return await _refuse(request, session, refused)
    except Refused as refused:
        return await _refuse(request, session, refused)
    if wants_json(request):
        return web.json_response({"messages": entries})
    raise web.HTTPSeeOther("/chat#end")


async def _refuse(
    request: web.Request, session: Session | None, refused: Refused
) -> web.StreamResponse:
    """Say why a request was refused: JSON for the script, else the page with the reason."""
    message = t(request, refused.key, **refused.values)
    if wants_json(request) or session is None:
        return web.json_response({"error": message}, status=refused.status)
    entries = await chat_of(request).entries(session)
    return render_page(request, session, entries, error=message, status=refused.status)


async def send(request: web.Request) -> web.StreamResponse:
    """A typed message."""
    return await _post(request, "send")


async def press(request: web.Request) -> web.StreamResponse:
    """A pressed button."""
    return await _post(request, "press")


async def clear(request: web.Request) -> web.StreamResponse:
    """Clear this conversation; the browser gets a new session."""
    response = await _post(request, "clear")
    if response.status < 400:
        drop_cookie(response, chat_of(request).app.settings)
    return response


async def mydata(request: web.Request) -> web.StreamResponse:
    """/mydata as a download."""
    try:
        session = await _session_for_post(request, await _body(request))
    except Refused as refused:
        return await _refuse(request, None, refused)
    export = await chat_of(request).export(session)
    if export is None:
        return web.json_response({"error": t(request, "privacy.export_failed")}, status=500)
    return web.Response(
        body=export.content,
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{export.name}"',
            "Cache-Control": "no-store",
        },
    )


def _known_session(request: web.Request) -> Session:
    """The session of a GET to the API; 403 without one."""
    chat = chat_of(request)
    session = session_of(request, chat.app.settings, chat.app.services.keyring)
    if session is None:
        raise web.HTTPForbidden(
            text=json.dumps({"error": t(request, "web.error_session")}), content_type=JSON_TYPE
        )
    return session


def _after(request: web.Request) -> int:
    """The newest message id the page has (from Last-Event-ID or ?after=)."""
    raw = request.headers.get("Last-Event-ID") or request.query.get("after", "0")
    return int(raw) if raw.isdigit() and len(raw) < 16 else 0


async def history(request: web.Request) -> web.StreamResponse:
    """Messages newer than ?after= (also the long-polling fallback)."""
    session = _known_session(request)
    if not await request.app[keys.LIMITS].allow_ip(request):
        return web.json_response({"error": t(request, "web.error_rate")}, status=429)
    entries = await chat_of(request).entries(session, _after(request))
    return web.json_response({"messages": entries}, headers={"Cache-Control": "no-store"})


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: each new message of the session as it is stored."""
    session = _known_session(request)
    chat = chat_of(request)
    after = _after(request)
    task: asyncio.Task[object] | None = asyncio.current_task()
    streams = request.app[keys.STREAMS]
    if task is not None:
        streams.tasks.add(task)
    try:
        async with sse_response(request) as stream:
            for _ in range(int(STREAM_SECONDS / POLL_S)):
                if not stream.is_connected():
                    break
                try:
                    for entry in await chat.entries(session, after):
                        await stream.send(json.dumps(entry), id=str(entry["id"]), event="message")
                        after = entry["id"]
                except ConnectionResetError:
                    break
                await chat.notifier.wait(session.chat_key, POLL_S)
        return stream
    finally:
        if task is not None:
            streams.tasks.discard(task)
