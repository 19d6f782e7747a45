"""What parents say about answers: "Was this helpful?" and "Not what you asked?".

Votes are counted per entry and never per parent, so these functions take no identity.
A vote counts once, for the answer that is waiting for one (`pending`, which the chat
holds); a "Not what you asked?" choice counts only if it was one of those offered.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sendbot.storage.unit_of_work import UnitOfWork


async def vote(
    uow: UnitOfWork, now: datetime, pending: object, entry_id: str, helpful: bool
) -> bool:
    """Count a vote on the answer waiting for one; False (nothing counted) otherwise."""
    if not entry_id or pending != entry_id:
        return False
    await uow.feedback.record(entry_id, helpful=helpful, at=now)
    return True


async def choose_alternative(
    uow: UnitOfWork,
    now: datetime,
    entry_id: str,
    offered: Collection[str],
    gap: object,
    pending: object,
) -> bool:
    """Record a "Not what you asked?" choice once: the kept question becomes a near miss
    with the entry chosen, and the answer given counts as not helpful.

    False (nothing recorded) for a choice that was not offered or a question not kept.
    """
    if entry_id not in offered or not isinstance(gap, int):
        return False
    await uow.gaps.near_miss(gap, entry_id)
    if isinstance(pending, str):
        await uow.feedback.record(pending, helpful=False, at=now)
    return True
