"""/mydata: everything held about a parent, as one readable JSON file."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from sendbot.core.formatting import html_to_plain
from sendbot.core.keyring import Keyring
from sendbot.core.privacy.holdings import outbox_for_chat
from sendbot.core.privacy.rotation import looks_encrypted
from sendbot.storage.models import AuditRecord, Case, LinkFailure
from sendbot.storage.parent_records import ParentTicket
from sendbot.storage.unit_of_work import UnitOfWork

FILE_NAME = "sendbot-my-data-{day}.json"


def _when(value: datetime | date | None) -> str | None:
    """A timestamp or date in ISO form."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def _opened(keyring: Keyring, value: Any) -> Any:
    """A JSON value with any encrypted text in it decrypted."""
    if looks_encrypted(value):
        try:
            return keyring.decrypt(value)
        except ValueError:
            return "(cannot be read)"
    if isinstance(value, dict):
        return {key: _opened(keyring, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_opened(keyring, item) for item in value]
    return value


def _case(keyring: Keyring, case: Case, linked_at: datetime | None) -> dict[str, Any]:
    """One linked case, as the council's record holds it."""
    return {
        "reference": case.reference,
        "child_first_name": keyring.reveal(case.child_name),
        "stage": case.stage,
        "request_date": _when(case.request_date),
        "decision_date": _when(case.decision_date),
        "draft_date": _when(case.draft_date),
        "final_date": _when(case.final_date),
        "last_review_date": _when(case.last_review_date),
        "next_transfer_date": _when(case.next_transfer_date),
        "linked_to_this_chat_at": _when(linked_at),
        "date_of_birth": "not kept: only a keyed hash, used to check what you type",
    }


def officer_label(
    name: str | None, role: str | None, officer_id: int | None, show_names: bool
) -> str | None:
    """An officer as the parent may know them: first name if the council shows names, else
    role and number (the council can tell who that is from its audit log)."""
    if show_names and name:
        return name
    if officer_id is None:
        return role
    return f"{role or 'officer'} #{officer_id}"


def _ticket(ticket: ParentTicket, show_names: bool) -> dict[str, Any]:
    """One ticket with its messages and every officer who opened or acted on it."""
    return {
        "reference": ticket.reference,
        "kind": ticket.kind,
        "status": ticket.status,
        "created_at": _when(ticket.created_at),
        "due_at": _when(ticket.due_at),
        "closed_at": _when(ticket.closed_at),
        "your_rating": ticket.rating,
        "your_message": ticket.text,
        "case_shared": ticket.case_reference,
        "messages": [
            {
                "at": _when(m.at),
                "from": m.author,
                "officer": m.officer_name if show_names else None,
                "officer_role": m.officer_role,
                "text": m.text,
                "answer_entry": m.entry_id,
                "delivery": m.delivery,
            }
            for m in ticket.messages
        ],
        "opened_by_officers": [
            {
                "at": _when(a.at),
                "officer": officer_label(a.officer_name, a.officer_role, a.officer_id, show_names),
                "officer_role": a.officer_role,
                "action": a.action,
            }
            for a in ticket.accesses
        ],
    }


async def _case_accesses(
    uow: UnitOfWork, cases: list[Case], show_names: bool
) -> list[dict[str, Any]]:
    """Officers' audited reads of the parent's linked cases (by reference or id)."""
    if not cases:
        return []
    subjects = [c.reference for c in cases] + [str(c.id) for c in cases]
    query = (
        select(AuditRecord)
        .where(
            AuditRecord.subject_type == "case",
            AuditRecord.subject_id.in_(subjects),
            AuditRecord.actor.like("officer:%"),
        )
        .order_by(AuditRecord.id)
    )
    records = list((await uow.session.execute(query)).scalars())
    if not records:
        return []
    officers = {o.id: o for o in await uow.officers.all(active_only=False)}
    found = []
    for record in records:
        number = record.actor.partition(":")[2]
        officer = officers.get(int(number)) if number.isdigit() else None
        found.append(
            {
                "at": _when(record.at),
                "officer": officer_label(
                    officer.name if officer else None,
                    officer.role if officer else None,
                    officer.id if officer else None,
                    show_names,
                )
                or record.actor,
                "officer_role": officer.role if officer else None,
                "action": record.action,
                "case": record.subject_id,
            }
        )
    return found


async def collect_my_data(
    uow: UnitOfWork,
    keyring: Keyring,
    *,
    chat_key: str,
    channel: str,
    chat_id: str,
    controller: str,
    now: datetime,
    show_names: bool = False,
) -> dict[str, Any]:
    """Everything held about one chat, decrypted for its owner.

    Officers are named as the parent sees them elsewhere: by first name only when
    `show_names` (the council's officer_display setting is first_name).
    """
    conversation = await uow.conversations.get(chat_key)
    cases = await uow.cases.linked_cases(chat_key)
    links = {
        link.case_id: link.created_at
        for group in (await uow.cases.links_for([c.id for c in cases])).values()
        for link in group
        if link.chat_key == chat_key
    }
    failures = (
        await uow.session.execute(
            select(LinkFailure.at).where(LinkFailure.chat_key == chat_key).order_by(LinkFailure.at)
        )
    ).scalars()
    tickets = await uow.parent_records.for_parent(chat_key, keyring)
    messages = await outbox_for_chat(uow, keyring, channel, chat_id)
    return {
        "about": {
            "what": "Everything sendbot holds about this chat, as of the time below.",
            "controller": controller,
            "made_at": _when(now),
            "channel": channel,
            "not_included": (
                "Questions the bot could not answer are kept without any link to you, with "
                "names, numbers and addresses removed, so they cannot be found or sent here."
            ),
        },
        "conversation": None
        if conversation is None
        else {
            "started_at": _when(conversation.created_at),
            "last_active_at": _when(conversation.updated_at),
            "state": conversation.state,
            "state_data": _opened(keyring, conversation.data or {}),
        },
        "linked_cases": [_case(keyring, c, links.get(c.id)) for c in cases],
        "officers_who_opened_your_cases": await _case_accesses(uow, cases, show_names),
        "tickets": [_ticket(t, show_names) for t in tickets],
        "messages_to_you": [
            {
                "created_at": _when(m.created_at),
                "status": m.status,
                "sent_at": _when(m.sent_at),
                "text": html_to_plain(_opened(keyring, m.html)),
            }
            for m in messages
        ],
        "failed_case_link_attempts": [_when(at) for at in failures],
    }


def export_file(data: dict[str, Any], now: datetime) -> tuple[str, bytes]:
    """The file name and bytes of an export."""
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    return FILE_NAME.format(day=now.date().isoformat()), body.encode("utf-8")
