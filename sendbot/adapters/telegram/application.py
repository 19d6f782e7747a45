"""Build the python-telegram-bot Application: rate limiter, handlers, commands and jobs."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.ext import AIORateLimiter, Application, BaseRateLimiter, TypeHandler
from telegram.request import BaseRequest

from sendbot.adapters.telegram.aiohttp_request import AiohttpRequest
from sendbot.adapters.telegram.delivery import TelegramSender
from sendbot.adapters.telegram.handlers import TelegramHandlers
from sendbot.adapters.telegram.jobs import schedule_jobs
from sendbot.adapters.telegram.translate import Audience
from sendbot.app import App
from sendbot.config import Settings
from sendbot.kb.texts import Texts

# The commands shown in Telegram's menu, in order; descriptions live in messages.yaml.
COMMANDS = ("start", "help", "ask", "mycase", "contact", "privacy", "mydata", "deleteme")
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
RATE_LIMIT_RETRIES = 3

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class TokenMissing(RuntimeError):
    """SENDBOT_TELEGRAM_TOKEN is not set."""


def bot_commands(texts: Texts) -> list[BotCommand]:
    """The command menu, each with its description from messages.yaml."""
    return [BotCommand(name, texts.get(f"telegram.commands.{name}")) for name in COMMANDS]


def flood_limiter(settings: Settings) -> BaseRateLimiter[Any]:
    """PTB's limiter: SENDBOT_TELEGRAM_MAX_RATE requests a second, RetryAfter respected."""
    return AIORateLimiter(
        overall_max_rate=settings.telegram_max_rate, max_retries=RATE_LIMIT_RETRIES
    )


def build_application(
    settings: Settings,
    app: App,
    request: BaseRequest | None = None,
    *,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    concurrent_updates: bool | int = False,
) -> TelegramApp:
    """A PTB Application serving sendbot.

    `request` replaces the HTTP layer (tests; the default is `AiohttpRequest`);
    `rate_limiter` replaces Telegram's flood limits (a benchmark against a fake server may
    pass AIORateLimiter(0, 1, 0)); updates are handled one at a time unless
    `concurrent_updates` says otherwise, in which case one chat's updates are no longer
    ordered by PTB.
    """
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise TokenMissing(
            "SENDBOT_TELEGRAM_TOKEN is not set: create a bot with @BotFather and set its token"
        )
    builder = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .rate_limiter(rate_limiter or flood_limiter(settings))
        .concurrent_updates(concurrent_updates)
        .post_init(announce_commands)
    )
    if request is None:
        # aiohttp instead of PTB's default httpx: a quarter of the CPU per Bot API call.
        builder = builder.request(AiohttpRequest(connection_pool_size=256))
        builder = builder.get_updates_request(AiohttpRequest(connection_pool_size=1))
    else:
        builder = builder.request(request).get_updates_request(request)
    if settings.telegram_api_url:
        root = settings.telegram_api_url.rstrip("/")
        builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
    application: TelegramApp = builder.build()
    handlers = TelegramHandlers(app, Audience(officers_chat_id=settings.officers_chat_id))
    application.bot_data["sendbot"] = handlers
    application.add_handler(TypeHandler(Update, handlers.on_update))
    application.add_error_handler(handlers.on_error)
    sender = TelegramSender(application.bot, on_gone=handlers.mark_inactive)
    schedule_jobs(application, app, sender)
    return application


async def announce_commands(application: TelegramApp) -> None:
    """At start: show the command menu in private chats."""
    handlers: TelegramHandlers = application.bot_data["sendbot"]
    await application.bot.set_my_commands(
        bot_commands(handlers.app.services.texts), scope=BotCommandScopeAllPrivateChats()
    )
