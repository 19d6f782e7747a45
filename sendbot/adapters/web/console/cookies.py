"""The console's cookies: the signed-in session, and a pre-session one for sign-in's CSRF.

Both hold only random values and are HttpOnly, SameSite=Strict, Path=/officers, and
Secure (with the __Secure- prefix) unless SENDBOT_WEB_COOKIE_SECURE is false for local
development. They are distinct from the parents' chat cookie. A third, for single sign-on only,
is SameSite=Lax on Path=/officers/oidc (see `set_oidc`).
"""

from __future__ import annotations

import re

from aiohttp import web

from sendbot.config import Settings
from sendbot.core.keyring import Keyring

PATH = "/officers"
OIDC_PATH = "/officers/oidc"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # token_urlsafe(32)


def session_name(settings: Settings) -> str:
    """The session cookie's name."""
    return "__Secure-sendbot_officer" if settings.web_cookie_secure else "sendbot_officer"


def pre_name(settings: Settings) -> str:
    """The pre-session cookie's name (the sign-in and set-up forms' CSRF)."""
    return "__Secure-sendbot_officer_pre" if settings.web_cookie_secure else "sendbot_officer_pre"


def well_formed(value: str) -> bool:
    """Whether a cookie holds a value this server could have made."""
    return bool(_TOKEN.fullmatch(value))


def pre_csrf(keyring: Keyring, value: str) -> str:
    """The CSRF token bound to a pre-session cookie."""
    return keyring.digest("console-pre-csrf", value)[:48]


def oidc_name(settings: Settings) -> str:
    """The cookie binding a single sign-on to the browser that began it."""
    return "__Secure-sendbot_officer_sso" if settings.web_cookie_secure else "sendbot_officer_sso"


def set_oidc(response: web.StreamResponse, settings: Settings, value: str) -> None:
    """Bind a single sign-on to this browser: SameSite=Lax, so the directory's redirect
    back (a top-level GET from another site) carries it; only the sign-on's paths see it."""
    response.set_cookie(
        oidc_name(settings),
        value,
        path=OIDC_PATH,
        secure=settings.web_cookie_secure,
        httponly=True,
        samesite="Lax",
    )


def _set(response: web.StreamResponse, settings: Settings, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path=PATH,
        secure=settings.web_cookie_secure,
        httponly=True,
        samesite="Strict",
    )


def set_session(response: web.StreamResponse, settings: Settings, token: str) -> None:
    """Give the browser its session (a browser-session cookie; the database times it out)."""
    _set(response, settings, session_name(settings), token)


def set_pre(response: web.StreamResponse, settings: Settings, value: str) -> None:
    """Give the browser its pre-session value."""
    _set(response, settings, pre_name(settings), value)


def drop_session(response: web.StreamResponse, settings: Settings) -> None:
    """Remove the session cookie."""
    response.del_cookie(
        session_name(settings),
        path=PATH,
        secure=settings.web_cookie_secure,
        httponly=True,
        samesite="Strict",
    )
