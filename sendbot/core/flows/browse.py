"""Browsing topics and showing an entry, with its sources and related topics."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sendbot.core.dialogue import Router, Rows, Turn, rows
from sendbot.core.flows.common import menu_button, stale_button
from sendbot.core.formatting import button_label, escape, markdown_to_html, split_message
from sendbot.core.messages import Button
from sendbot.kb.loader import Entry

RELATED_BUTTONS = 6  # entries list their related topics on purpose; show them all


def render_entry(entry: Entry, sources_label: str = "Sources:") -> str:
    """An entry as Telegram HTML: title, answer, then its sources one a line."""
    sources = "\n".join(
        f'• <a href="{escape(s.url)}">{escape(s.title)}</a>' if s.url else f"• {escape(s.title)}"
        for s in entry.sources
    )
    body = markdown_to_html(entry.body)
    return f"<b>{escape(entry.title)}</b>\n\n{body}\n\n<i>{sources_label}</i>\n{sources}"


@lru_cache(maxsize=1024)
def entry_parts(entry: Entry, sources_label: str, question: str | None) -> tuple[str, ...]:
    """An entry as the messages that carry it, with a question at the end if any.

    Entries never change while the bot runs, so each is rendered once, not per parent.
    """
    html = render_entry(entry, sources_label)
    if question is not None:
        html = f"{html}\n\n{question}"
    return tuple(split_message(html))


async def show_entry(turn: Turn, entry_id: str, ask: tuple[str, Rows] | None = None) -> None:
    """Send an entry, split under the message limit, with related-topic buttons last.

    `ask` is a question and its buttons to put at the end of the last part (such as
    "Was this helpful?"), so the answer and the question arrive as one message.
    """
    kb = turn.services.kb
    entry = kb.get(entry_id)
    if entry is None:
        await stale_button(turn)
        return
    related = [kb.entries[r] for r in entry.related if r in kb.entries][:RELATED_BUTTONS]
    buttons: list[Sequence[Button]] = [
        *rows(Button(button_label(f"➡️ {r.title}"), f"e:{r.id}") for r in related),
        [menu_button(turn)],
    ]
    question = None
    if ask is not None:
        question, ask_buttons = ask
        buttons = [*ask_buttons, *buttons]
    parts = entry_parts(entry, turn.t("entry_sources"), question)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        turn.reply(part, buttons if last else ())


async def show_sections(turn: Turn) -> None:
    """List the subjects to browse."""
    sections = turn.services.kb.sections
    buttons = rows(Button(s.title, f"t:{s.key}") for s in sections)
    buttons.append([menu_button(turn)])
    turn.say("topics_prompt", buttons)


async def section_press(turn: Turn) -> None:
    """List the topics in one subject."""
    key = turn.inbound.text.split(":", 1)[1]
    section = next((s for s in turn.services.kb.sections if s.key == key), None)
    if section is None:
        await show_sections(turn)
        return
    kb = turn.services.kb
    present = [i for i in section.ids if i in kb.entries]
    buttons = rows(Button(button_label(kb.entries[i].title), f"e:{i}") for i in present)
    buttons.append([Button(turn.t("back"), "t:"), menu_button(turn)])
    turn.say("topics_section_prompt", buttons, section=section.title)


async def entry_press(turn: Turn) -> None:
    """Show the entry a button names."""
    await show_entry(turn, turn.inbound.text.split(":", 1)[1])


async def topics_command(turn: Turn) -> None:
    """/topics: browse every topic."""
    await show_sections(turn)


def register(router: Router) -> None:
    """Register this flow's handlers."""
    router.button("t")(section_press)
    router.button("e")(entry_press)
    router.command("topics")(topics_command)
