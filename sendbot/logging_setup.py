"""Logging that never writes message text, case data or tokens."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]{20,}")


def mask_tokens(text: str) -> str:
    """The text with anything shaped like a Bot API token (in a URL) masked."""
    return _TOKEN.sub("bot<token>", text)


class TokenFilter(logging.Filter):
    """Masks anything shaped like a Bot API token, whatever logger it comes from."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with tokens masked."""
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg = mask_tokens(message)
            record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Set up logging; keep HTTP client libraries (which log URLs with the token) quiet."""
    handler = logging.StreamHandler()
    handler.addFilter(TokenFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # python-telegram-bot logs the API URL (with the token), every call's parameters and
    # every update (message text) at DEBUG.
    for noisy in ("aiohttp", "httpx", "httpcore", "telegram", "apscheduler", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
