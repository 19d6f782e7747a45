"""Free-text questions: answer, ask 'did you mean', or say so plainly and offer a person.

The rules are the answers service's (`sendbot.core.answers`); this flow turns its results
into messages and buttons, and keeps in the chat's state what a later press needs.
"""

from __future__ import annotations

from sendbot.core.answers import feedback, questions
from sendbot.core.answers.results import Answer, Clarify
from sendbot.core.dialogue import Router, Rows, Turn, rows
from sendbot.core.flows.browse import show_entry
from sendbot.core.flows.common import menu_button
from sendbot.core.formatting import button_label
from sendbot.core.messages import Button
from sendbot.core.people import Parent

ALTERNATIVE = "w"  # a "Not what you asked?" choice: w:<entry id>


async def answer_question(turn: Turn) -> None:
    """Ask the answers service about the text and reply with its outcome."""
    parent = Parent.of(turn.conversation)
    reply = await questions.ask(
        turn.uow, turn.services, parent, turn.text, lambda e: _fits(ALTERNATIVE, e)
    )
    kb = turn.services.kb
    if isinstance(reply, Answer):
        ask = ask_helpful(turn, reply.entry)
        if reply.alternatives:
            ask = with_alternatives(turn, reply, ask)
        await show_entry(turn, reply.entry, ask=ask)
        return
    if isinstance(reply, Clarify):
        buttons = rows(Button(button_label(kb.entries[i].title), f"e:{i}") for i in reply.choices)
        buttons.append([Button(turn.t("answer.none_of_these"), "n:")])
        turn.say("answer.did_you_mean", buttons)
        return
    await fallback(turn)


def with_alternatives(
    turn: Turn, reply: Answer, ask: tuple[str, Rows] | None
) -> tuple[str, Rows] | None:
    """Add "Not what you asked?" buttons for the service's alternatives to an unsure answer.

    The chat remembers the choices and the kept question, for `alternative_press`.
    """
    kb = turn.services.kb
    others = list(reply.alternatives)
    data = dict(turn.data)
    turn.set_state("idle", **data, alternatives=others, gap=reply.gap)
    buttons: list[list[Button]] = [list(row) for row in ask[1]] if ask else []
    buttons += rows(
        Button(button_label(f"🔁 {kb.entries[e].title}"), f"{ALTERNATIVE}:{e}") for e in others
    )
    prompt = turn.t("answer.not_what_you_asked")
    return (f"{ask[0]}\n\n{prompt}" if ask else prompt), buttons


async def alternative_press(turn: Turn) -> None:
    """Show the entry chosen under "Not what you asked?"; the service records it once."""
    entry_id = turn.inbound.text.split(":", 1)[1]
    data = turn.data
    if await feedback.choose_alternative(
        turn.uow,
        turn.services.clock(),
        entry_id,
        offered=data.get("alternatives", ()),
        gap=data.get("gap"),
        pending=data.get("feedback"),
    ):
        turn.set_state("idle")
    await show_entry(turn, entry_id, ask=ask_helpful(turn, entry_id))


def _fits(prefix: str, entry_id: str) -> bool:
    """Whether a button's data fits Telegram's 64 bytes."""
    return len(f"{prefix}:{entry_id}".encode()) <= 64


async def fallback(turn: Turn) -> None:
    """Say plainly there is no good answer; offer SENDIASS and a person."""
    buttons = [
        [Button(turn.t("answer.fallback_sendiass"), "e:sendiass")],
        [Button(turn.t("answer.fallback_talk"), "m:contact")],
        [menu_button(turn)],
    ]
    turn.say("answer.fallback", buttons)


async def none_of_these(turn: Turn) -> None:
    """The parent rejected every suggestion."""
    await fallback(turn)


def ask_helpful(turn: Turn, entry_id: str) -> tuple[str, Rows] | None:
    """'Was this helpful?' with its buttons, to go under an answer; the chat awaits one vote."""
    if not _fits("h:y", entry_id):
        return None
    turn.set_state("idle", feedback=entry_id)
    buttons = [
        [
            Button(turn.t("answer.helpful_yes"), f"h:y:{entry_id}"),
            Button(turn.t("answer.helpful_no"), f"h:n:{entry_id}"),
        ]
    ]
    return turn.t("answer.helpful_prompt"), buttons


async def helpful_press(turn: Turn) -> None:
    """Pass a 'Was this helpful?' vote to the service; thank or apologise either way."""
    parts = turn.inbound.text.split(":", 2)
    vote, entry_id = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
    if vote in ("y", "n") and await feedback.vote(
        turn.uow, turn.services.clock(), turn.data.get("feedback"), entry_id, helpful=vote == "y"
    ):
        turn.set_state("idle")
    if vote == "y":
        turn.say("answer.thanks_feedback", [[menu_button(turn)]])
    else:
        turn.say(
            "answer.sorry_feedback",
            [[Button(turn.t("answer.fallback_talk"), "m:contact")], [menu_button(turn)]],
        )


def register(router: Router) -> None:
    """Register this flow's handlers."""
    router.default_text = answer_question
    router.button("n")(none_of_these)
    router.button("h")(helpful_press)
    router.button(ALTERNATIVE)(alternative_press)
