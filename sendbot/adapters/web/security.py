"""Security headers on every response: a strict CSP, framing only by allowed origins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from sendbot.config import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WIDGET_PATH = "/widget.js"


def content_security_policy(settings: Settings) -> str:
    """No inline script or style, nothing from elsewhere; framed only where allowed."""
    ancestors = " ".join(("'self'", *settings.web_origins))
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {ancestors}"
    )


def security_middleware(
    settings: Settings,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """A middleware adding the headers (and CORS for the widget's allowed origins)."""
    policy = content_security_policy(settings)
    origins = set(settings.web_origins)

    @web.middleware
    async def add_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            response = error
        headers = response.headers
        headers["Content-Security-Policy"] = policy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if not origins:
            headers["X-Frame-Options"] = "SAMEORIGIN"
        if request.path == WIDGET_PATH:
            headers["Cross-Origin-Resource-Policy"] = "cross-origin"
            origin = request.headers.get("Origin", "")
            if origin in origins:
                headers["Access-Control-Allow-Origin"] = origin
                headers["Vary"] = "Origin"
        else:
            headers["Cross-Origin-Resource-Policy"] = "same-origin"
        if isinstance(response, web.HTTPException) and not response.prepared:
            raise response
        return response

    return add_headers
