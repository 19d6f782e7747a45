"""Anonymous web sessions: a random id in a cookie, a keyed hash of it for the database.

The cookie holds only a random session id. The chat the core sees is `handle`, a keyed
hash of that id, so neither the database nor the outbox ever holds the cookie's value;
the chat key is the keyring's usual keyed hash of the handle on channel "web". The CSRF
token is bound to the session: a keyed hash of its id for that one purpose, compared in
constant time.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

from aiohttp import web

from sendbot.config import Settings
from sendbot.core.keyring import Keyring

CHANNEL = "web"
COOKIE = "sendbot_session"
SECURE_COOKIE = "__Host-sendbot_session"  # the prefix makes browsers insist on Secure, Path=/
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # token_urlsafe(32)


@dataclass(frozen=True)
class Session:
    """One browser's chat: its cookie value, the core's chat id and the database key."""

    sid: str
    handle: str
    chat_key: str
    csrf: str
    new: bool = False


def cookie_name(settings: Settings) -> str:
    """The cookie's name: with the __Host- prefix whenever it is Secure."""
    return SECURE_COOKIE if settings.web_cookie_secure else COOKIE


def open_session(keyring: Keyring, sid: str, new: bool = False) -> Session:
    """The session for a cookie value."""
    handle = keyring.digest("web-session", sid)[:40]
    return Session(
        sid=sid,
        handle=handle,
        chat_key=keyring.chat_key(CHANNEL, handle),
        csrf=keyring.digest("web-csrf", sid)[:48],
        new=new,
    )


def new_session(keyring: Keyring) -> Session:
    """A fresh session with a random id."""
    return open_session(keyring, secrets.token_urlsafe(32), new=True)


def session_of(request: web.Request, settings: Settings, keyring: Keyring) -> Session | None:
    """The request's session, if its cookie holds a well-formed id."""
    sid = request.cookies.get(cookie_name(settings), "")
    if not _SESSION_ID.fullmatch(sid):
        return None
    return open_session(keyring, sid)


def csrf_ok(session: Session, token: str | None) -> bool:
    """Whether a request's CSRF token is its session's (compared in constant time)."""
    return token is not None and hmac.compare_digest(token.encode(), session.csrf.encode())


def set_cookie(response: web.StreamResponse, settings: Settings, session: Session) -> None:
    """Store the session in an HttpOnly cookie lasting as long as idle chat state is kept."""
    response.set_cookie(
        cookie_name(settings),
        session.sid,
        max_age=settings.state_idle_days * 24 * 3600,
        path="/",
        secure=settings.web_cookie_secure,
        httponly=True,
        samesite=settings.web_cookie_samesite,
    )


def drop_cookie(response: web.StreamResponse, settings: Settings) -> None:
    """End the session in the browser."""
    response.del_cookie(
        cookie_name(settings),
        path="/",
        secure=settings.web_cookie_secure,
        httponly=True,
        samesite=settings.web_cookie_samesite,
    )
