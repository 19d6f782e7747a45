"""The terminal chat: the same core, driven from a keyboard or a script."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TextIO

from sendbot.core.dialogue import Dialogue
from sendbot.core.formatting import html_to_plain
from sendbot.core.messages import Audience, Button, Inbound, InboundKind, Outbound

CHANNEL = "terminal"


class TerminalChat:
    """Turns typed lines into Inbound messages and prints the replies as plain text."""

    def __init__(self, dialogue: Dialogue, chat_id: str = "local", out: TextIO | None = None):
        self.dialogue = dialogue
        self.chat_id = chat_id
        self.out = out or sys.stdout
        self.buttons: list[Button] = []

    def to_inbound(self, line: str) -> Inbound:
        """Read a typed line: a number presses a shown button, /word is a command."""
        stripped = line.strip()
        if stripped.isdigit() and self.buttons:
            index = int(stripped) - 1
            if 0 <= index < len(self.buttons) and self.buttons[index].data:
                return Inbound(CHANNEL, self.chat_id, InboundKind.BUTTON, self.buttons[index].data)
        if stripped.startswith("/") and len(stripped) > 1:
            return Inbound(CHANNEL, self.chat_id, InboundKind.COMMAND, stripped)
        return Inbound(CHANNEL, self.chat_id, InboundKind.TEXT, line)

    async def send(self, line: str) -> list[Outbound]:
        """Send one line to the core, print and return the replies."""
        replies = await self.dialogue.handle(self.to_inbound(line))
        self.show(replies)
        return replies

    def show(self, replies: list[Outbound]) -> None:
        """Print replies meant for this chat, numbering every button."""
        shown = [r for r in replies if r.audience is Audience.SENDER]
        numbered: list[Button] = []
        for reply in shown:
            self.out.write(html_to_plain(reply.html).rstrip() + "\n")
            for row in reply.buttons:
                labels = []
                for button in row:
                    numbered.append(button)
                    target = f" ({button.url})" if button.url else ""
                    labels.append(f"[{len(numbered)}] {button.label}{target}")
                self.out.write("   ".join(labels) + "\n")
            if reply.document:
                self.out.write(f"(file: {reply.document[0]})\n")
            self.out.write("\n")
        if numbered:
            self.buttons = numbered
        self.out.flush()

    async def run_script(self, lines: TextIO) -> None:
        """Read one message per line until the end of input (non-interactive mode)."""
        for line in lines:
            await self.send(line.rstrip("\n"))

    async def run_interactive(self, read: Callable[[str], str] = input) -> None:
        """Prompt for messages until the person types /quit or ends input."""
        self.out.write("sendbot terminal chat. Type /quit to leave.\n\n")
        await self.send("/start")
        while True:
            try:
                line = await asyncio.to_thread(read, "you> ")
            except (EOFError, KeyboardInterrupt):
                self.out.write("\n")
                return
            if line.strip().lower() in ("/quit", "/exit"):
                return
            await self.send(line)
