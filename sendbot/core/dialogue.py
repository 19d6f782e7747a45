"""The dialogue state machine: one inbound message in, outbound messages out."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sendbot.core.messages import Audience, Button, Inbound, InboundKind, Outbound
from sendbot.core.sanitize import clean_text
from sendbot.core.services import Services
from sendbot.storage.db import Database
from sendbot.storage.faults import DatabaseUnreachable, Fault, fault_of
from sendbot.storage.models import Conversation
from sendbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[["Turn"], Awaitable[None]]
# Called with a turn's replies inside its transaction (an adapter saves them to the outbox).
Keep = Callable[[UnitOfWork, list[Outbound]], Awaitable[list[Outbound]]]
Rows = Sequence[Sequence[Button]]


@dataclass
class Turn:
    """Everything one handler needs: the message, its chat's state, storage and services."""

    inbound: Inbound
    text: str
    uow: UnitOfWork
    conversation: Conversation
    services: Services
    replies: list[Outbound] = field(default_factory=list)

    @property
    def state(self) -> str:
        """The chat's current state."""
        return self.conversation.state

    @property
    def data(self) -> dict[str, Any]:
        """The chat's state data (a copy; use set_state to change it)."""
        return dict(self.conversation.data or {})

    def set_state(self, state: str, **data: Any) -> None:
        """Move the chat to a state, replacing its data (no write when nothing changes)."""
        if self.conversation.state != state:
            self.conversation.state = state
        if self.conversation.data != data:
            self.conversation.data = dict(data)

    def t(self, key: str, **values: object) -> str:
        """A sentence from messages.yaml."""
        return self.services.texts.get(key, **values)

    def reply(self, html: str, buttons: Rows = (), **kwargs: Any) -> None:
        """Queue a message to the sender."""
        rows = tuple(tuple(row) for row in buttons if row)
        self.replies.append(Outbound(html=html, buttons=rows, **kwargs))

    def say(self, key: str, buttons: Rows = (), **values: object) -> None:
        """Queue a sentence from messages.yaml to the sender."""
        self.reply(self.t(key, **values), buttons)

    def send(self, outbound: Outbound) -> None:
        """Queue a prepared message (to the sender, officers or another chat)."""
        self.replies.append(outbound)


class Router:
    """Maps commands, button prefixes and states to handlers."""

    def __init__(self) -> None:
        self.commands: dict[str, Handler] = {}
        self.buttons: dict[str, Handler] = {}
        self.states: dict[str, Handler] = {}
        self.default_text: Handler | None = None
        self.unknown_command: Handler | None = None
        self.stale_button: Handler | None = None
        self.unsupported: Handler | None = None

    def command(self, *names: str) -> Callable[[Handler], Handler]:
        """Register a handler for commands (without the slash)."""

        def decorate(handler: Handler) -> Handler:
            for name in names:
                self.commands[name] = handler
            return handler

        return decorate

    def button(self, prefix: str) -> Callable[[Handler], Handler]:
        """Register a handler for button data starting with 'prefix:'."""

        def decorate(handler: Handler) -> Handler:
            self.buttons[prefix] = handler
            return handler

        return decorate

    def state(self, name: str) -> Callable[[Handler], Handler]:
        """Register the handler for free text while a chat is in a state."""

        def decorate(handler: Handler) -> Handler:
            self.states[name] = handler
            return handler

        return decorate

    def route(self, turn: Turn) -> Handler | None:
        """Choose the handler for a turn."""
        inbound = turn.inbound
        if inbound.kind is InboundKind.UNSUPPORTED:
            return self.unsupported
        if inbound.kind is InboundKind.COMMAND:
            return self.commands.get(inbound.command, self.unknown_command)
        if inbound.kind is InboundKind.BUTTON:
            prefix = inbound.text.split(":", 1)[0]
            return self.buttons.get(prefix, self.stale_button)
        return self.states.get(turn.state, self.default_text)


class Dialogue:
    """Runs one inbound message through the router inside a unit of work."""

    def __init__(self, services: Services, database: Database, router: Router) -> None:
        self.services = services
        self.database = database
        self.router = router

    async def handle(
        self, inbound: Inbound, keep: Keep | None = None, *, sent_again: bool = False
    ) -> list[Outbound]:
        """Handle one message; on any failure roll back and apologise without details.

        `keep`, if given, receives the replies in the turn's transaction and returns what
        this returns: the turn's record and its replies are then committed together.
        `sent_again` says the transport sends the message again if told it failed (a
        webhook answered 500): then an unreachable database raises DatabaseUnreachable
        instead, and the message is handled properly once the database is back.
        """
        try:
            return await self._handle(inbound, keep)
        except Exception as error:  # the parent must always get an answer
            fault = fault_of(error)
            log.error(
                "handling failed: %s (%s)%s",
                type(error).__name__,
                inbound.kind,
                f": {fault}" if fault else "",
                exc_info=False,
            )
            if sent_again and fault is Fault.UNREACHABLE:
                raise DatabaseUnreachable(str(fault)) from None
            return [Outbound(html=self.services.texts.get("error"))]

    async def _handle(self, inbound: Inbound, keep: Keep | None) -> list[Outbound]:
        """Handle one message in a transaction (run again if the connection was lost)."""
        text = clean_text(inbound.text)
        chat_key = self.services.keyring.chat_key(inbound.channel, inbound.chat_id)

        async def work(uow: UnitOfWork) -> list[Outbound]:
            replies = await self._turn(uow, inbound, text, chat_key)
            return await keep(uow, replies) if keep is not None and replies else replies

        return await self.database.run(work)

    async def _turn(
        self, uow: UnitOfWork, inbound: Inbound, text: str, chat_key: str
    ) -> list[Outbound]:
        """Claim the update, lock the chat's conversation and run the routed handler."""
        conversation = await self._open(uow, inbound, chat_key)
        if conversation is None:
            return []  # a redelivered update: it was answered already
        if conversation.chat_ref is None:
            conversation.chat_ref = self.services.keyring.encrypt(inbound.chat_id)
        turn = Turn(inbound, text, uow, conversation, self.services)
        limit = self.services.settings.max_message_chars
        if inbound.kind is InboundKind.TEXT and len(text) > limit:
            turn.say("too_long", length=len(text), limit=limit)
            return turn.replies
        if inbound.kind is InboundKind.TEXT and not text:
            turn.say("empty_message")
            return turn.replies
        handler = self.router.route(turn)
        if handler is not None:
            await handler(turn)
        return turn.replies

    async def _open(self, uow: UnitOfWork, inbound: Inbound, chat_key: str) -> Conversation | None:
        """Claim the update (if it has an id) and lock its chat; None if it was handled."""
        now = self.services.clock()
        if inbound.update_id is None:
            return await uow.conversations.lock_or_create(chat_key, inbound.channel, now)
        return await uow.conversations.claim_and_lock(
            inbound.channel, inbound.update_id, chat_key, now
        )


def rows(buttons: Iterable[Button], per_row: int = 1) -> list[list[Button]]:
    """Arrange buttons in rows of a given width."""
    result: list[list[Button]] = []
    for button in buttons:
        if not result or len(result[-1]) >= per_row:
            result.append([])
        result[-1].append(button)
    return result


def for_officers(html: str, buttons: Rows = ()) -> Outbound:
    """A message for the officers' group."""
    return Outbound(html=html, buttons=tuple(tuple(r) for r in buttons), audience=Audience.OFFICERS)
