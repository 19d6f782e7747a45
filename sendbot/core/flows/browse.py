"""Browsing topics and showing an entry: its opening first, its detail and sources on request."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sendbot.core.dialogue import Router, Rows, Turn, rows
from sendbot.core.flows.common import menu_button, stale_button
from sendbot.core.formatting import button_label, escape, markdown_to_html, split_message
from sendbot.core.messages import Button
from sendbot.kb.loader import Entry

RELATED_BUTTONS = 6  # entries list their related topics on purpose; show them all
MORE, SOURCES = "more", "src"  # button prefixes: the entry's detail, and its sources


def _titled(entry: Entry, html: str) -> str:
    """A message about an entry: its title in bold, then the HTML."""
    return f"<b>{escape(entry.title)}</b>\n\n{html}"


@lru_cache(maxsize=1024)
def first_message(entry: Entry, question: str | None) -> str:
    """The message sent first: title, opening answer, next steps, and a question if any.

    Entries never change while the bot runs, so each is rendered once, not per parent.
    """
    html = _titled(entry, markdown_to_html(entry.parts.first))
    return html if question is None else f"{html}\n\n{question}"


@lru_cache(maxsize=1024)
def detail_parts(entry: Entry) -> tuple[str, ...]:
    """The "More detail" messages: the entry's detail sections, split under the limit."""
    return tuple(split_message(detail_message(entry)))


def detail_message(entry: Entry) -> str:
    """The "More detail" message whole: the title, then the detail sections."""
    return _titled(entry, markdown_to_html(entry.parts.detail_markdown))


@lru_cache(maxsize=1024)
def sources_message(entry: Entry, sources_label: str) -> str:
    """The "Sources" message: the entry's sources, one a line, linked where they have a page."""
    sources = "\n".join(
        f'• <a href="{escape(s.url)}">{escape(s.title)}</a>' if s.url else f"• {escape(s.title)}"
        for s in entry.sources
    )
    return _titled(entry, f"<i>{sources_label}</i>\n{sources}")


def more_button(turn: Turn, entry: Entry) -> Button:
    """ "More detail": sends the entry's detail sections, as of this version of it."""
    return Button(turn.t("entry_more"), f"{MORE}:{entry.id}:{entry.version}")


def sources_button(turn: Turn, entry: Entry) -> Button:
    """ "Sources": sends the entry's sources, as of this version of it."""
    return Button(turn.t("entry_sources_button"), f"{SOURCES}:{entry.id}:{entry.version}")


def answer_row(turn: Turn, entry: Entry) -> list[Button]:
    """The row under an answer that opens the rest of it: "More detail" (if any) and "Sources"."""
    more = [more_button(turn, entry)] if entry.parts.detail else []
    return [*more, sources_button(turn, entry)]


def related_rows(turn: Turn, entry: Entry) -> Rows:
    """A button for each related topic in force, one a row."""
    kb = turn.services.kb
    related = [kb.entries[r] for r in entry.related if r in kb.entries][:RELATED_BUTTONS]
    return rows(Button(button_label(f"➡️ {r.title}"), f"e:{r.id}") for r in related)


async def show_entry(turn: Turn, entry_id: str, ask: tuple[str, Rows] | None = None) -> None:
    """Send an entry's opening and next steps, with buttons for the rest and related topics.

    `ask` is a question and its buttons to put at the end of the message (such as "Was
    this helpful?"), so the answer and the question arrive as one message. The rows are,
    in order: the question's, the answer's own ("More detail", "Sources"), the related
    topics', and the menu.
    """
    entry = turn.services.kb.get(entry_id)
    if entry is None:
        await stale_button(turn)
        return
    question, ask_rows = ask if ask is not None else (None, ())
    buttons: list[Sequence[Button]] = [
        *ask_rows,
        answer_row(turn, entry),
        *related_rows(turn, entry),
        [menu_button(turn)],
    ]
    turn.reply(first_message(entry, question), buttons)


async def _pressed_entry(turn: Turn) -> Entry | None:
    """The entry a "More detail" or "Sources" button names, if it is as it was when sent.

    Otherwise say kindly why not: an entry since removed gets a word and the topics; an
    entry since changed is sent again as it is now, with buttons that work.
    """
    parts = turn.inbound.text.split(":")
    if len(parts) != 3:
        await stale_button(turn)
        return None
    _, entry_id, version = parts
    entry = turn.services.kb.get(entry_id)
    if entry is None:
        turn.say("entry_gone", [[Button(turn.t("menu.topics"), "t:")], [menu_button(turn)]])
        return None
    if entry.version != version:
        turn.say("entry_changed")
        await show_entry(turn, entry.id)
        return None
    return entry


async def more_press(turn: Turn) -> None:
    """Send the detail of the answer a "More detail" button belongs to."""
    entry = await _pressed_entry(turn)
    if entry is None:
        return
    if not entry.parts.detail:
        await sources_press(turn)
        return
    parts = detail_parts(entry)
    buttons = [[sources_button(turn, entry)], [menu_button(turn)]]
    for index, part in enumerate(parts):
        turn.reply(part, buttons if index == len(parts) - 1 else ())


async def sources_press(turn: Turn) -> None:
    """Send the sources of the answer a "Sources" button belongs to."""
    entry = await _pressed_entry(turn)
    if entry is None:
        return
    more = [[more_button(turn, entry)]] if entry.parts.detail else []
    turn.reply(sources_message(entry, turn.t("entry_sources")), [*more, [menu_button(turn)]])


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
    router.button(MORE)(more_press)
    router.button(SOURCES)(sources_press)
    router.command("topics")(topics_command)
