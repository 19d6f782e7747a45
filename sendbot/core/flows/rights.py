"""A parent's rights: /privacy (the notice), /mydata (a copy of it all), /deleteme (erasure).

Button data: p:data send the file, p:delete ask to erase, p:erase:TOKEN erase (only with
the token of the question just asked, so an old or forged button erases nothing), p:keep.
"""

from __future__ import annotations

import logging
import secrets

from sendbot.core.dialogue import Router, Turn
from sendbot.core.flows.common import menu_button
from sendbot.core.formatting import split_message
from sendbot.core.messages import Button, Outbound
from sendbot.core.people import Parent
from sendbot.core.privacy import service as privacy

log = logging.getLogger(__name__)

STATE_CONFIRM = "confirm_erase"


def _privacy_buttons(turn: Turn) -> list[list[Button]]:
    """Under the notice: get my data, delete me, the menu."""
    return [
        [
            Button(turn.t("privacy.mydata_button"), "p:data"),
            Button(turn.t("privacy.deleteme_button"), "p:delete"),
        ],
        [menu_button(turn)],
    ]


async def show_privacy_notice(turn: Turn) -> None:
    """Who the controller is, the lawful basis, what is kept, how long, who sees it."""
    settings = turn.services.settings
    notice = turn.t(
        "privacy.notice",
        controller=turn.services.kb.council_name,
        idle_days=settings.state_idle_days,
        gap_days=settings.gap_days,
        ticket_days=settings.closed_ticket_days,
        outbox_days=settings.outbox_days,
    )
    parts = split_message(notice)
    for index, part in enumerate(parts):
        turn.reply(part, _privacy_buttons(turn) if index == len(parts) - 1 else ())


async def send_my_data(turn: Turn) -> None:
    """/mydata: a file with everything held about this chat."""
    parent = Parent.of(turn.conversation)
    try:
        document = await privacy.my_data(turn.uow, turn.services, parent, turn.inbound.chat_id)
    except Exception as error:  # never a half-made file; say so kindly
        log.error("export failed: %s", type(error).__name__)
        turn.say("privacy.export_failed", [[menu_button(turn)]])
        return
    turn.send(
        Outbound(
            html=turn.t("privacy.export_ready"),
            buttons=((menu_button(turn),),),
            document=document,
        )
    )


def _erase_buttons(turn: Turn, token: str) -> list[list[Button]]:
    """Yes, erase (for this one question) or keep."""
    return [
        [Button(turn.t("privacy.erase_yes"), f"p:erase:{token}")],
        [Button(turn.t("privacy.erase_no"), "p:keep")],
    ]


async def ask_to_erase(turn: Turn) -> None:
    """/deleteme: say what will go and ask for confirmation."""
    token = secrets.token_hex(4)
    turn.set_state(STATE_CONFIRM, token=token)
    turn.say("privacy.erase_confirm", _erase_buttons(turn, token))


async def erase(turn: Turn) -> None:
    """Erase this chat's data, after the confirmation just asked for."""
    parent = Parent.of(turn.conversation)
    report = await privacy.erase(turn.uow, turn.services, parent, turn.inbound.chat_id)
    turn.say(
        "privacy.erased",
        cases=report.cases_unlinked,
        tickets=report.tickets_emptied,
        messages=report.messages_deleted,
        reference=report.reference,
    )


async def keep(turn: Turn) -> None:
    """The parent chose not to erase."""
    turn.set_state("idle")
    turn.say("privacy.kept", [[menu_button(turn)]])


async def waiting_for_confirmation(turn: Turn) -> None:
    """Text typed while the erasure question is open: nothing happens until a button."""
    token = str(turn.data.get("token", ""))
    turn.say("privacy.erase_waiting", _erase_buttons(turn, token))


async def privacy_button(turn: Turn) -> None:
    """Every p: button."""
    parts = turn.inbound.text.split(":")
    action = parts[1] if len(parts) > 1 else ""
    if action == "data":
        await send_my_data(turn)
    elif action == "delete":
        await ask_to_erase(turn)
    elif action == "erase":
        expected = turn.data.get("token") if turn.state == STATE_CONFIRM else None
        given = parts[2] if len(parts) > 2 else ""
        if expected and secrets.compare_digest(str(expected), given):
            await erase(turn)
        else:
            await keep(turn)
    else:
        await keep(turn)


def register(router: Router) -> None:
    """Register this flow's handlers."""
    router.command("privacy")(show_privacy_notice)
    router.command("mydata")(send_my_data)
    router.command("deleteme")(ask_to_erase)
    router.button("p")(privacy_button)
    router.state(STATE_CONFIRM)(waiting_for_confirmation)
