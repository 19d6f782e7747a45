"""The Telegram adapter: a thin translator between the Bot API and the core."""

from sendbot.adapters.telegram.application import (
    COMMANDS,
    TelegramApp,
    TokenMissing,
    build_application,
)
from sendbot.adapters.telegram.delivery import TelegramSender
from sendbot.adapters.telegram.translate import CHANNEL

__all__ = [
    "CHANNEL",
    "COMMANDS",
    "TelegramApp",
    "TelegramSender",
    "TokenMissing",
    "build_application",
]
