"""Drive the real PTB Application with updates, against the fake Bot API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from pydantic import SecretStr
from telegram import Update

from sendbot.adapters.telegram import TelegramApp, build_application
from sendbot.app import App
from sendbot.config import Settings
from sendbot.logging_setup import configure_logging
from tests.fakes.bot_api import (
    SENDING_METHODS,
    TOKEN,
    Call,
    FakeBotAPI,
    FakeRequest,
    JSONDict,
)

PARENT_CHAT_ID = 4242


def telegram_settings(settings: Settings, **changes: object) -> Settings:
    """Test settings with the fake's token (and any other changes)."""
    return settings.model_copy(update={"telegram_token": SecretStr(TOKEN), **changes})


class TelegramChat:
    """One person's private chat with the bot, through process_update."""

    def __init__(self, api: FakeBotAPI, application: TelegramApp, chat_id: int) -> None:
        self.api = api
        self.application = application
        self.chat_id = chat_id

    async def process(self, update: JSONDict) -> list[Call]:
        """Feed one update to the Application; return what it sent to this chat."""
        mark = len(self.api.calls)
        await self.application.process_update(Update.de_json(update, self.application.bot))
        return [
            c
            for c in self.api.calls[mark:]
            if c.method in SENDING_METHODS and c.chat_id == self.chat_id
        ]

    async def send(self, text: str) -> list[Call]:
        """Type a message (or command)."""
        return await self.process(self.api.text_update(self.chat_id, text))

    async def press(self, label: str) -> list[Call]:
        """Press the newest button with this label shown in this chat."""
        for call in reversed(self.api.sent(self.chat_id)):
            for row in call.keyboard:
                for button in row:
                    if button["text"] == label and "callback_data" in button:
                        return await self.press_data(button["callback_data"])
        raise AssertionError(f"no button labelled {label!r} was shown")

    async def press_data(self, data: str) -> list[Call]:
        """Press a button carrying this data."""
        return await self.process(self.api.button_update(self.chat_id, data))

    async def media(self, kind: str) -> list[Call]:
        """Send a photo, voice note, sticker or file."""
        return await self.process(self.api.media_update(self.chat_id, kind))


class LogCollector(logging.Handler):
    """Keeps every log record's formatted message."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))

    @property
    def text(self) -> str:
        """Everything logged, one record a line."""
        return "\n".join(self.lines)


@contextmanager
def debug_logging() -> Iterator[LogCollector]:
    """The project's logging set up at DEBUG, every record collected; restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    configure_logging("DEBUG")
    collector = LogCollector()
    root.addHandler(collector)
    try:
        yield collector
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


@asynccontextmanager
async def telegram_bot(
    settings: Settings, app: App, api: FakeBotAPI | None = None
) -> AsyncIterator[tuple[FakeBotAPI, TelegramApp]]:
    """An initialised Application (getMe done, commands set) on the fake Bot API."""
    api = api or FakeBotAPI()
    application = build_application(telegram_settings(settings), app, request=FakeRequest(api))
    async with application:
        assert application.post_init is not None
        await application.post_init(application)
        yield api, application
