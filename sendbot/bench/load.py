"""Simulated parents: updates delivered by webhook, and what came back for each.

A chat's next update is posted only once the previous one was answered (as Telegram does),
chats are interleaved in a shuffled order, and each update is posted to the next process in
turn, as a reverse proxy spreading POSTs would. Every reply the fake Bot API received for a
chat between an update's POST and its answer belongs to that update.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sendbot.bench.fake_api import Recorder, Reply
from sendbot.bench.webhook_client import WebhookClient
from sendbot.clock import system_clock

# What each simulated parent sends, in turn: commands, questions and menus.
PARENT_SCRIPT = (
    "/start",
    "How long does an EHC needs assessment take?",
    "/help",
    "Can I appeal if the council refuses to assess my child?",
    "What is the Local Offer?",
    "/menu",
)


@dataclass(frozen=True)
class Delivery:
    """One update to post, and whether a second copy goes too (Telegram redelivers)."""

    chat_id: int
    step: int  # this is the chat's step-th update, from 0
    update: dict[str, Any]
    copy: str = ""  # "", "concurrent" (at once, to another process) or "later" (after)

    @property
    def update_id(self) -> int:
        """The update's id."""
        return int(self.update["update_id"])


@dataclass
class Outcome:
    """What happened to one delivery."""

    delivery: Delivery
    sent_at: float
    done_at: float
    statuses: list[int]
    replies: list[Reply]

    @property
    def answered(self) -> bool:
        """Every copy was accepted and at least one reply came."""
        return bool(self.replies) and all(s == 200 for s in self.statuses)

    @property
    def latency_ms(self) -> float | None:
        """From the POST to the update's last reply, in milliseconds."""
        if not self.replies:
            return None
        return (self.replies[-1].at - self.sent_at) * 1000


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of some values (0 when there are none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))]


@dataclass
class RunResult:
    """The outcomes of one run and how long it took."""

    outcomes: list[Outcome]
    elapsed_s: float
    overloaded: bool = False  # a steady rate the bots could not keep up with

    @property
    def updates_per_s(self) -> float:
        """Updates answered per second (a duplicate copy is not an update)."""
        answered = sum(1 for o in self.outcomes if o.answered)
        return answered / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def latencies_ms(self) -> list[float]:
        """Each answered update's reply latency."""
        return [o.latency_ms for o in self.outcomes if o.latency_ms is not None]

    @property
    def failures(self) -> int:
        """Updates refused, failed or not answered."""
        return sum(1 for o in self.outcomes if not o.answered)

    def summary(self) -> dict[str, Any]:
        """Throughput, p50 and p99 latency, failures, and whether the load was too much."""
        latencies = self.latencies_ms
        return {
            "updates_per_s": round(self.updates_per_s, 1),
            "p50_ms": round(percentile(latencies, 0.50), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1),
            "failures": self.failures,
            "overloaded": self.overloaded,
        }


class UpdateFactory:
    """Real-shaped Telegram updates with unique ids."""

    def __init__(self, first_update_id: int = 1) -> None:
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)

    def text(self, chat_id: int, text: str) -> dict[str, Any]:
        """A parent in a private chat sent text (a command gets its bot_command entity)."""
        person = {"id": chat_id, "is_bot": False, "first_name": "Parent", "language_code": "en"}
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(system_clock().timestamp()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Parent"},
            "from": person,
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": next(self._update_ids), "message": message}


def plan_conversations(
    factory: UpdateFactory,
    chat_ids: Sequence[int],
    updates_per_chat: int,
    script: Sequence[str] = PARENT_SCRIPT,
    duplicates: float = 0.0,
    rng: random.Random | None = None,
    shuffle: bool = True,
) -> list[Delivery]:
    """Every chat's updates, chats interleaved in a shuffled order (or in turn), some twice."""
    rng = rng or random.Random(1)
    slots = [chat for _ in range(updates_per_chat) for chat in chat_ids]
    if shuffle:
        rng.shuffle(slots)
    steps: dict[int, int] = {}
    plan = []
    for chat in slots:
        step = steps.get(chat, 0)
        steps[chat] = step + 1
        copy = ""
        if rng.random() < duplicates:
            copy = rng.choice(("concurrent", "later"))
        update = factory.text(chat, script[step % len(script)])
        plan.append(Delivery(chat, step, update, copy))
    return plan


@dataclass
class Driver:
    """Posts planned updates to bot processes and collects the outcomes."""

    recorder: Recorder
    clients: list[WebhookClient]
    _next_target: itertools.count[int] = field(default_factory=itertools.count)
    _chat_locks: dict[int, asyncio.Lock] = field(default_factory=dict)

    async def _post(self, client: WebhookClient, update: dict[str, Any]) -> int:
        try:
            return await client.post(update)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            return 0

    async def deliver(self, delivery: Delivery, scheduled_at: float | None = None) -> Outcome:
        """Post one update (and its copy) once the chat's previous update was answered."""
        lock = self._chat_locks.setdefault(delivery.chat_id, asyncio.Lock())
        async with lock:
            before = len(self.recorder.replies_to(delivery.chat_id))
            count = len(self.clients)
            first = next(self._next_target) % count
            other = self.clients[(first + 1) % count]
            target = self.clients[first]
            sent_at = scheduled_at if scheduled_at is not None else time.perf_counter()
            if delivery.copy == "concurrent":
                statuses = list(
                    await asyncio.gather(
                        self._post(target, delivery.update), self._post(other, delivery.update)
                    )
                )
            else:
                statuses = [await self._post(target, delivery.update)]
                if delivery.copy == "later":
                    statuses.append(await self._post(other, delivery.update))
            done_at = time.perf_counter()
            replies = list(self.recorder.replies_to(delivery.chat_id)[before:])
        return Outcome(delivery, sent_at, done_at, statuses, replies)

    async def closed_loop(self, plan: Sequence[Delivery], concurrency: int) -> RunResult:
        """Keep `concurrency` updates in flight until the plan is done: the throughput."""
        slots = asyncio.Semaphore(concurrency)
        outcomes: list[Outcome] = []

        async def one(delivery: Delivery) -> None:
            try:
                outcomes.append(await self.deliver(delivery))
            finally:
                slots.release()

        started = time.perf_counter()
        tasks = []
        for delivery in plan:
            await slots.acquire()
            tasks.append(asyncio.create_task(one(delivery)))
        await asyncio.gather(*tasks)
        return RunResult(outcomes, time.perf_counter() - started)

    async def fixed_rate(
        self, plan: Sequence[Delivery], rate_per_s: float, max_backlog_s: float = 0.5
    ) -> RunResult:
        """Post at a steady rate whatever the answers: latency under a given load.

        Latency counts from when each update was due, so a harness that falls behind shows
        in the figures. When more than `max_backlog_s` seconds of updates are in flight the
        bots cannot keep up: posting stops there and the result says so.
        """
        started = time.perf_counter()
        tasks: list[asyncio.Task[Outcome]] = []
        in_flight = 0
        overloaded = False

        async def one(delivery: Delivery, due: float) -> Outcome:
            nonlocal in_flight
            in_flight += 1
            try:
                return await self.deliver(delivery, scheduled_at=due)
            finally:
                in_flight -= 1

        for index, delivery in enumerate(plan):
            due = started + index / rate_per_s
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if in_flight > rate_per_s * max_backlog_s:
                overloaded = True
                break
            tasks.append(asyncio.create_task(one(delivery, due)))
        outcomes = list(await asyncio.gather(*tasks))
        return RunResult(outcomes, time.perf_counter() - started, overloaded)

    async def close(self) -> None:
        """Close every connection."""
        for client in self.clients:
            await client.close()
