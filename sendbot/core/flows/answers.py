"""Free-text questions: answer, ask 'did you mean', or say so plainly and offer a person."""

from __future__ import annotations

from sendbot.core.dialogue import Router, Rows, Turn, rows
from sendbot.core.flows.browse import show_entry
from sendbot.core.flows.common import menu_button
from sendbot.core.formatting import button_label
from sendbot.core.messages import Button
from sendbot.core.privacy.names import linked_child_names
from sendbot.core.redaction import redact
from sendbot.kb.normalise import normalise
from sendbot.kb.retrieval import AnswerResult

ALTERNATIVE = "w"  # a "Not what you asked?" choice: w:<entry id>
ALTERNATIVES = 2


async def answer_question(turn: Turn) -> None:
    """Run the question engine on the text and reply with its outcome."""
    result = turn.services.retriever.ask(turn.text)
    kb = turn.services.kb
    if result.outcome == "answer" and result.entry:
        ask = ask_helpful(turn, result.entry)
        if not result.sure:
            ask = await with_alternatives(turn, result, ask)
        await show_entry(turn, result.entry, ask=ask)
        return
    await record_gap(turn, result)
    if result.outcome == "clarify":
        choices = [c.entry for c in result.candidates if c.entry in kb.entries][:3]
        buttons = rows(Button(button_label(kb.entries[i].title), f"e:{i}") for i in choices)
        buttons.append([Button(turn.t("answer.none_of_these"), "n:")])
        turn.say("answer.did_you_mean", buttons)
        return
    await fallback(turn)


async def with_alternatives(
    turn: Turn, result: AnswerResult, ask: tuple[str, Rows] | None
) -> tuple[str, Rows] | None:
    """Add "Not what you asked?" buttons for the next two candidates to an unsure answer.

    The question is kept (redacted) as a gap the bot was unsure about; pressing a choice
    marks it a near miss with the entry chosen (`alternative_press`).
    """
    kb = turn.services.kb
    others = [
        c.entry
        for c in result.candidates[1:]
        if c.entry in kb.entries and c.entry != result.entry and _fits(ALTERNATIVE, c.entry)
    ][:ALTERNATIVES]
    if not others:
        return ask
    gap = await record_gap(turn, result, outcome="unsure")
    data = dict(turn.data)
    turn.set_state("idle", **data, alternatives=others, gap=gap)
    buttons: list[list[Button]] = [list(row) for row in ask[1]] if ask else []
    buttons += rows(
        Button(button_label(f"🔁 {kb.entries[e].title}"), f"{ALTERNATIVE}:{e}") for e in others
    )
    prompt = turn.t("answer.not_what_you_asked")
    return (f"{ask[0]}\n\n{prompt}" if ask else prompt), buttons


async def alternative_press(turn: Turn) -> None:
    """Show the entry chosen under "Not what you asked?", and record the near miss once."""
    entry_id = turn.inbound.text.split(":", 1)[1]
    data = turn.data
    gap, given = data.get("gap"), data.get("feedback")
    if entry_id in data.get("alternatives", ()) and isinstance(gap, int):
        await turn.uow.gaps.near_miss(gap, entry_id)
        if isinstance(given, str):
            await turn.uow.feedback.record(given, helpful=False, at=turn.services.clock())
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
    """'Was this helpful?' with its buttons, to go under an answer; the vote counts once."""
    if len(f"h:y:{entry_id}".encode()) > 64:
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
    """Count a 'Was this helpful?' vote for the answer just given."""
    parts = turn.inbound.text.split(":", 2)
    vote, entry_id = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
    pending = turn.data.get("feedback")
    if vote in ("y", "n") and entry_id and pending == entry_id:
        await turn.uow.feedback.record(entry_id, helpful=vote == "y", at=turn.services.clock())
        turn.set_state("idle")
    if vote == "y":
        turn.say("answer.thanks_feedback", [[menu_button(turn)]])
    else:
        turn.say(
            "answer.sorry_feedback",
            [[Button(turn.t("answer.fallback_talk"), "m:contact")], [menu_button(turn)]],
        )


async def record_gap(turn: Turn, result: AnswerResult, outcome: str | None = None) -> int | None:
    """Keep a question the bot was unsure about, with personal data removed; its row id."""
    known = turn.services.retriever.known_words()
    keyring, chat_key = turn.services.keyring, turn.conversation.chat_key
    question = redact(turn.text, known, names=await linked_child_names(turn.uow, keyring, chat_key))
    if not question:
        return None
    top = result.candidates[0] if result.candidates else None
    row = await turn.uow.gaps.add(
        question=question,
        key=normalise(question),
        outcome=outcome or result.outcome,
        top_entry=top.entry if top else None,
        score=result.score,
        at=turn.services.clock(),
    )
    return row.id


def register(router: Router) -> None:
    """Register this flow's handlers."""
    router.default_text = answer_question
    router.button("n")(none_of_these)
    router.button("h")(helpful_press)
    router.button(ALTERNATIVE)(alternative_press)
