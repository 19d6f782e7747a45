"""My case: link a child's case with the council's code, see where it stands, unlink.

Button data: c:v:ID view a linked case, c:c choose a child, c:a link another child,
c:u:ID ask to unlink, c:x:ID unlink, c:k keep. Every handler checks that the case is
linked to this chat: a chat never sees anything about another case.
"""

from __future__ import annotations

from datetime import datetime

from sendbot.core.cases import service as case_service
from sendbot.core.cases.codes import code_hash, normalise_code
from sendbot.core.cases.dates import read_birth_date
from sendbot.core.cases.status import child_name, entry_buttons, status_text
from sendbot.core.cases.timefmt import london_today, long_time
from sendbot.core.dialogue import Router, Turn
from sendbot.core.flows.common import menu_button, stale_button
from sendbot.core.flows.council import stats_button
from sendbot.core.flows.letters import write_button
from sendbot.core.formatting import button_label, escape
from sendbot.core.messages import Button
from sendbot.core.people import Parent
from sendbot.storage.models import Case

STATE_CODE = "case_code"
STATE_DOB = "case_dob"
HELP_CONTACTS = ("sen_team", "sendiass")


def _parent(turn: Turn) -> Parent:
    """The parent writing: this chat's channel identity, which scopes every case lookup."""
    return Parent.of(turn.conversation)


async def show_my_case(turn: Turn) -> None:
    """The 'My case' button and /mycase: the status, a choice of children, or linking."""
    turn.set_state("idle")
    cases = await case_service.linked(turn.uow, _parent(turn))
    if not cases:
        await ask_for_code(turn)
    elif len(cases) == 1:
        show_status(turn, cases[0], linked=1)
    else:
        choose_child(turn, cases)


async def mycase_command(turn: Turn) -> None:
    """/mycase, or /mycase CODE to start linking with the code given."""
    if turn.inbound.argument:
        if await _paused(turn):
            return
        await _take_code(turn, turn.inbound.argument)
        return
    await show_my_case(turn)


def show_status(turn: Turn, case: Case, linked: int) -> None:
    """One case's stage and time limits, with buttons to what helps next."""
    texts = turn.services.texts
    today = london_today(turn.services.clock())
    name = child_name(turn.services.keyring, texts, case)
    buttons = entry_buttons(turn.services.kb, case, today)
    write = write_button(turn, case)
    if write is not None:
        buttons.insert(0, [write])
    buttons.append([stats_button(turn)])
    more = [Button(turn.t("cases.link_another"), "c:a")]
    if linked > 1:
        more.insert(0, Button(turn.t("cases.switch"), "c:c"))
    buttons.append(more)
    buttons.append([Button(turn.t("cases.unlink_button"), f"c:u:{case.id}"), menu_button(turn)])
    turn.reply(status_text(texts, case, name, today), buttons)


def _case_buttons(turn: Turn, cases: list[Case], action: str) -> list[list[Button]]:
    texts = turn.services.texts
    keyring = turn.services.keyring
    return [
        [
            Button(
                button_label(
                    turn.t(
                        "cases.case_label",
                        name=child_name(keyring, texts, c),
                        reference=c.reference,
                    )
                ),
                f"c:{action}:{c.id}",
            )
        ]
        for c in cases
    ]


def choose_child(turn: Turn, cases: list[Case]) -> None:
    """Ask which child's case to show."""
    buttons = _case_buttons(turn, cases, "v")
    buttons.append([Button(turn.t("cases.link_another"), "c:a"), menu_button(turn)])
    turn.say("cases.choose", buttons)


async def ask_for_code(turn: Turn) -> None:
    """Start linking: ask for the code from the council's letter."""
    if await _paused(turn):
        return
    turn.set_state(STATE_CODE)
    turn.say("cases.ask_code", [[menu_button(turn)]])


async def _paused(turn: Turn) -> bool:
    """Tell a paused chat (or everyone, in a flood) so, kindly, with help; True if paused."""
    paused = await case_service.pause(turn.uow, turn.services, _parent(turn))
    if paused is None:
        return False
    turn.set_state("idle")
    say_paused(turn, paused.until, "cases.slowed" if paused.everyone else "cases.paused")
    return True


def say_paused(turn: Turn, until: datetime, text_key: str = "cases.paused") -> None:
    """The pause message with the council's SEN team and SENDIASS from the local pack."""
    kb = turn.services.kb
    contacts = kb.council.contacts if kb.council else {}
    lines = []
    for key in HELP_CONTACTS:
        contact = contacts.get(key)
        if contact is None:
            continue
        details = [escape(v) for v in (contact.phone, contact.email) if v]
        if contact.url:
            details.append(f'<a href="{escape(contact.url)}">{turn.t("cases.website")}</a>')
        suffix = ": " + ", ".join(details) if details else ""
        lines.append(f"• <b>{escape(contact.name)}</b>{suffix}")
    help_text = "\n".join(lines) if lines else turn.t("cases.contacts_missing")
    html = turn.t(text_key, until=long_time(until)) + "\n\n" + help_text
    buttons = [
        [Button(button_label(kb.entries[i].title), f"e:{i}")]
        for i in ("sendiass",)
        if i in kb.entries
    ]
    buttons.append([menu_button(turn)])
    turn.reply(html, buttons)


async def code_entered(turn: Turn) -> None:
    """A code typed while linking."""
    if await _paused(turn):
        return
    await _take_code(turn, turn.text)


async def _take_code(turn: Turn, text: str) -> None:
    code = normalise_code(text)
    if code is None:
        turn.set_state(STATE_CODE)
        turn.say("cases.bad_code_format", [[menu_button(turn)]])
        return
    turn.set_state(STATE_DOB, code=code_hash(turn.services.keyring, code))
    turn.say("cases.ask_dob", [[menu_button(turn)]])


async def dob_entered(turn: Turn) -> None:
    """The date of birth typed while linking: check it with the code, all at once."""
    hashed = turn.data.get("code")
    if not isinstance(hashed, str):
        await ask_for_code(turn)
        return
    if await _paused(turn):
        return
    now = turn.services.clock()
    parsed = read_birth_date(turn.text, london_today(now))
    if parsed.value is None:
        turn.say(f"cases.dob_{parsed.problem}", [[menu_button(turn)]])
        return
    settings = turn.services.settings
    result = await case_service.link(turn.uow, turn.services, _parent(turn), hashed, parsed.value)
    if result.outcome in ("paused", "slowed") and result.paused_until is not None:
        turn.set_state("idle")
        say_paused(turn, result.paused_until, f"cases.{result.outcome}")
        return
    if result.outcome == "failed" or result.case is None:
        turn.set_state(STATE_CODE)
        turn.say("cases.failed", [[menu_button(turn)]], tries=result.tries_left)
        return
    turn.set_state("idle")
    name = child_name(turn.services.keyring, turn.services.texts, result.case)
    if result.outcome == "full":
        turn.say("cases.full", [[menu_button(turn)]], name=name, limit=settings.case_max_parents)
        return
    turn.say("cases.linked" if result.outcome == "linked" else "cases.already_linked", name=name)
    linked = len(await case_service.linked(turn.uow, _parent(turn)))
    show_status(turn, result.case, linked)


async def unlink_command(turn: Turn) -> None:
    """/unlink: choose the case (if more than one) and confirm."""
    turn.set_state("idle")
    cases = await case_service.linked(turn.uow, _parent(turn))
    if not cases:
        turn.say("cases.none_linked", [[menu_button(turn)]])
    elif len(cases) == 1:
        confirm_unlink(turn, cases[0])
    else:
        buttons = _case_buttons(turn, cases, "u")
        buttons.append([menu_button(turn)])
        turn.say("cases.unlink_choose", buttons)


def confirm_unlink(turn: Turn, case: Case) -> None:
    """Ask before unlinking."""
    name = child_name(turn.services.keyring, turn.services.texts, case)
    turn.say(
        "cases.unlink_confirm",
        [
            [
                Button(turn.t("cases.unlink_yes"), f"c:x:{case.id}"),
                Button(turn.t("cases.unlink_no"), "c:k"),
            ]
        ],
        name=name,
        reference=case.reference,
    )


async def case_button(turn: Turn) -> None:
    """Every c: button, each checked against this chat's links."""
    parts = turn.inbound.text.split(":")
    action = parts[1] if len(parts) > 1 else ""
    if action == "c":
        await show_my_case(turn)
        return
    if action == "a":
        turn.set_state("idle")
        await ask_for_code(turn)
        return
    if action == "k":
        turn.set_state("idle")
        turn.say("cases.kept", [[menu_button(turn)]])
        return
    case_id = int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else None
    try:
        case = await case_service.linked_case(turn.uow, _parent(turn), case_id)
    except case_service.CaseNotFound:
        case = None
    if case is None or action not in ("v", "u", "x"):
        await stale_button(turn)
        return
    turn.set_state("idle")
    if action == "v":
        linked = len(await case_service.linked(turn.uow, _parent(turn)))
        show_status(turn, case, linked)
    elif action == "u":
        confirm_unlink(turn, case)
    else:
        name = child_name(turn.services.keyring, turn.services.texts, case)
        await case_service.unlink(turn.uow, _parent(turn), case.id)
        turn.say("cases.unlinked", [[menu_button(turn)]], name=name)


def register(router: Router) -> None:
    """Register this flow's handlers."""
    router.command("mycase")(mycase_command)
    router.command("unlink")(unlink_command)
    router.button("c")(case_button)
    router.state(STATE_CODE)(code_entered)
    router.state(STATE_DOB)(dob_entered)
