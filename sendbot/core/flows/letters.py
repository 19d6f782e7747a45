"""Write to the council: a letter for a time limit the council missed, filled from the case.

Button data: l:w:ID the letters for a linked case (straight to the letter when there is one),
l:k:ID:KEY the letter for one time limit, l:f:ID:KEY:FORMAT that letter as a file again
(the web chat's download). Every handler checks that the case is linked to this chat.

The letter is made on each tap and handed back at once. It is never stored: the replies
are marked ephemeral, so the web chat does not keep them in its history and the Telegram
adapter does not save them to the outbox for a retry; nothing here logs.
"""

from __future__ import annotations

from sendbot.core.cases.status import child_name
from sendbot.core.cases.timefmt import london_today, long_date
from sendbot.core.dialogue import Router, Turn
from sendbot.core.flows.common import menu_button, stale_button
from sendbot.core.formatting import button_label, escape
from sendbot.core.letters.compose import Letter, available, compose
from sendbot.core.letters.files import pdf_file, text_file
from sendbot.core.messages import EPHEMERAL, Button, Outbound
from sendbot.storage.models import Case

FILE = "file"  # Outbound.meta key: the button data that makes this reply's file again
NEXT_ENTRIES = ("complain-council", "ombudsman", "judicial-review", "sendiass")
FORMATS = ("pdf", "txt")


def write_button(turn: Turn, case: Case) -> Button | None:
    """The 'Write to the council' button for a case status, when a letter fits."""
    today = london_today(turn.services.clock())
    if not available(case, today, turn.services.letters):
        return None
    return Button(turn.t("cases.write_button"), f"l:w:{case.id}")


def _ephemeral(meta: dict[str, str] | None = None) -> dict[str, str]:
    return {EPHEMERAL: "1", **(meta or {})}


def _letter(turn: Turn, case: Case, key: str | None) -> Letter | None:
    """The filled letter for one of the case's passed limits (the only one if key is None)."""
    services = turn.services
    today = london_today(services.clock())
    fits = available(case, today, services.letters)
    if key is not None:
        fits = [pair for pair in fits if pair[0].key == key]
    if len(fits) != 1:
        return None
    deadline, template = fits[0]
    name = child_name(services.keyring, services.texts, case)
    return compose(template, deadline, case, name, services.kb, services.texts, today)


def choose_letter(turn: Turn, case: Case) -> None:
    """Ask which limit to write about, when more than one has passed."""
    today = london_today(turn.services.clock())
    fits = available(case, today, turn.services.letters)
    if not fits:
        turn.reply(
            turn.t("letters.none"),
            [[Button(turn.t("letters.back"), f"c:v:{case.id}"), menu_button(turn)]],
        )
        return
    if len(fits) == 1:
        send_letter(turn, case, fits[0][0].key)
        return
    rows = [[Button(button_label(t.title), f"l:k:{case.id}:{d.key}")] for d, t in fits]
    rows.append([Button(turn.t("letters.back"), f"c:v:{case.id}"), menu_button(turn)])
    turn.reply(turn.t("letters.choose"), rows)


def _files(turn: Turn, letter: Letter) -> list[tuple[str, bytes]]:
    """The letter's files: the PDF (when it can be made) and the plain text."""
    found = []
    pdf = pdf_file(letter, turn.services.clock())
    if pdf is not None:
        found.append(pdf)
    found.append(text_file(letter))
    return found


def send_letter(turn: Turn, case: Case, key: str) -> None:
    """The letter as text to copy, as files, and what to do if nothing happens."""
    letter = _letter(turn, case, key)
    if letter is None:
        choose_letter(turn, case)
        return
    services = turn.services
    kb = services.kb
    team = kb.council.contacts.get("sen_team") if kb.council else None
    if team is not None and team.email:
        to = turn.t("letters.to_email", email=team.email)
    else:
        to = turn.t("letters.to_team", team=team.name if team else "SEN team")
    name = child_name(services.keyring, services.texts, case)
    turn.reply(
        turn.t("letters.intro", council=kb.council_name, name=name, to=to), meta=_ephemeral()
    )
    turn.reply(escape(letter.text), meta=_ephemeral())
    files = _files(turn, letter)
    if not any(n.endswith(".pdf") for n, _ in files):
        turn.reply(turn.t("letters.no_pdf"), meta=_ephemeral())
    for file_name, content in files:
        kind = file_name.rsplit(".", 1)[-1]
        turn.send(
            Outbound(
                html=turn.t(
                    "letters.file_caption",
                    title=letter.title,
                    kind=turn.t(f"letters.kinds.{kind}"),
                ),
                document=(file_name, content),
                meta=_ephemeral({FILE: f"l:f:{case.id}:{letter.key}:{kind}"}),
            )
        )
    buttons = [
        [Button(button_label(kb.entries[i].title), f"e:{i}")]
        for i in NEXT_ENTRIES
        if i in kb.entries
    ]
    buttons.append([Button(turn.t("letters.back"), f"c:v:{case.id}"), menu_button(turn)])
    html = "\n\n".join(
        (
            turn.t("letters.next_title"),
            escape(letter.next_steps),
            turn.t("letters.sources", law=letter.law, reviewed=long_date(letter.reviewed)),
        )
    )
    turn.reply(html, buttons, meta=_ephemeral())


def send_file(turn: Turn, case: Case, key: str, kind: str) -> None:
    """One file of the letter again (the web chat downloads it this way)."""
    letter = _letter(turn, case, key)
    files = _files(turn, letter) if letter is not None else []
    wanted = next((f for f in files if f[0].endswith(f".{kind}")), None)
    if letter is None or wanted is None:
        turn.reply(turn.t("letters.none"), meta=_ephemeral())
        return
    turn.send(
        Outbound(
            html=turn.t(
                "letters.file_caption", title=letter.title, kind=turn.t(f"letters.kinds.{kind}")
            ),
            document=wanted,
            meta=_ephemeral(),
        )
    )


async def letter_button(turn: Turn) -> None:
    """Every l: button, each checked against this chat's links."""
    parts = turn.inbound.text.split(":")
    action = parts[1] if len(parts) > 1 else ""
    case_id = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
    chat_key = turn.conversation.chat_key
    case = await turn.uow.cases.linked_case(chat_key, case_id) if case_id else None
    if case is None:
        await stale_button(turn)
        return
    turn.set_state("idle")
    if action == "w" and len(parts) == 3:
        choose_letter(turn, case)
    elif action == "k" and len(parts) == 4:
        send_letter(turn, case, parts[3])
    elif action == "f" and len(parts) == 5 and parts[4] in FORMATS:
        send_file(turn, case, parts[3], parts[4])
    else:
        await stale_button(turn)


def register(router: Router) -> None:
    """Register this flow's handlers."""
    router.button("l")(letter_button)
