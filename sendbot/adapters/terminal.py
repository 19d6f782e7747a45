"""The terminal chat: the same core, driven from a keyboard or a script."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from sendbot.core.dialogue import Dialogue
from sendbot.core.formatting import html_to_plain
from sendbot.core.messages import Audience, Button, Inbound, InboundKind, Outbound

CHANNEL = "terminal"
BOLD = ("\x1b[1m", "\x1b[22m")
MAX_WIDTH = 100
_HANGING = ("• ", "- ")
_MARKS = ("\x02", "\x03")  # stand-ins for bold while wrapping, never in cleaned text


def wrap(text: str, width: int) -> str:
    """Wrap long lines at words, indenting the rest of a bullet or numbered line under it."""
    lines = []
    for line in text.split("\n"):
        if len(line) <= width:
            lines.append(line)
            continue
        body = line.lstrip(" ")
        lead = " " * (len(line) - len(body))
        marker = next((m for m in _HANGING if body.startswith(m)), "")
        number = body.split(" ", 1)[0]
        if not marker and number[:-1].isdigit() and number.endswith("."):
            marker = number + " "
        indent = lead + " " * len(marker)
        lines.append(
            textwrap.fill(
                line,
                width,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


class TerminalChat:
    """Turns typed lines into Inbound messages and prints the replies as plain text.

    Shown on a real terminal (`styled`), bold text is bold and long lines are wrapped at
    words to the window's width; files the bot sends are saved in `files_dir` when given.
    """

    def __init__(
        self,
        dialogue: Dialogue,
        chat_id: str = "local",
        out: TextIO | None = None,
        styled: bool | None = None,
        files_dir: Path | None = None,
    ):
        self.dialogue = dialogue
        self.chat_id = chat_id
        self.out = out or sys.stdout
        self.styled = self.out.isatty() if styled is None else styled
        self.files_dir = files_dir
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

    def no_such_button(self, line: str) -> bool:
        """Whether the line is a short number that presses none of the shown buttons."""
        stripped = line.strip()
        if not (stripped.isdigit() and len(stripped) <= 2 and self.buttons):
            return False
        index = int(stripped) - 1
        return not (0 <= index < len(self.buttons) and self.buttons[index].data)

    def button_hint(self) -> str:
        """How to press one of the buttons shown."""
        count = len(self.buttons)
        numbers = "1" if count == 1 else f"a number from 1 to {count}"
        return f"Type {numbers} to press a button, or type your message."

    async def send(self, line: str) -> list[Outbound]:
        """Send one line to the core, print and return the replies."""
        replies = await self.dialogue.handle(self.to_inbound(line))
        self.show(replies)
        return replies

    def render(self, html: str) -> str:
        """A message's HTML as terminal text."""
        if not self.styled:
            return html_to_plain(html).rstrip()
        width = min(shutil.get_terminal_size((MAX_WIDTH, 24)).columns, MAX_WIDTH)
        marked = wrap(html_to_plain(html, _MARKS).rstrip(), max(width, 20))
        return marked.replace(_MARKS[0], BOLD[0]).replace(_MARKS[1], BOLD[1])

    def show(self, replies: list[Outbound]) -> None:
        """Print replies meant for this chat, numbering every button."""
        shown = [r for r in replies if r.audience is Audience.SENDER]
        numbered: list[Button] = []
        for reply in shown:
            self.out.write(self.render(reply.html) + "\n")
            for row in reply.buttons:
                labels = []
                for button in row:
                    numbered.append(button)
                    target = f" ({button.url})" if button.url else ""
                    labels.append(f"[{len(numbered)}] {button.label}{target}")
                self.out.write("   ".join(labels) + "\n")
            if reply.document:
                self.out.write(self.save(*reply.document) + "\n")
            self.out.write("\n")
        if numbered:
            self.buttons = numbered
        self.out.flush()

    def save(self, name: str, content: bytes) -> str:
        """Save a file the bot sent in files_dir (readable by this user only); say where."""
        if self.files_dir is None:
            return f"(file: {name})"
        stem, dot, suffix = Path(name).name.partition(".")
        path = self.files_dir / name
        counter = 1
        while path.exists():
            counter += 1
            path = self.files_dir / f"{stem}-{counter}{dot}{suffix}"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        return f"(file saved: {path})"

    async def run_script(self, lines: TextIO) -> None:
        """Read one message per line until the end of input (non-interactive mode)."""
        for line in lines:
            await self.send(line.rstrip("\n"))

    async def run_interactive(self, read: Callable[[str], str] = input) -> None:
        """Prompt for messages until the person types /quit or ends input."""
        if self.files_dir is None:
            self.files_dir = Path.cwd()
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
            if self.no_such_button(line):
                self.out.write(f"There is no button {line.strip()}. {self.button_hint()}\n\n")
                continue
            await self.send(line)
