"""Who used the machine's CPU during a run: the bot processes, the harness, the database."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

DATABASE_PROCESS_NAMES = ("postgres", "postmaster")


def _cpu_seconds(processes: Iterable[psutil.Process]) -> float:
    """User plus system CPU seconds of some processes (gone ones count as 0)."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += times.user + times.system
    return total


def database_processes() -> list[psutil.Process]:
    """The local PostgreSQL server's processes (none when it runs elsewhere)."""
    found = []
    for process in psutil.process_iter(["name"]):
        if (process.info.get("name") or "").startswith(DATABASE_PROCESS_NAMES):
            found.append(process)
    return found


def _cpu_by_pid(processes: Iterable[psutil.Process]) -> dict[int, float]:
    """User plus system CPU seconds of each live process."""
    seconds = {}
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
    return seconds


@dataclass
class CpuSnapshot:
    """CPU seconds used so far by each group; the database's process by process."""

    bots: float
    harness: float
    database: dict[int, float]

    def database_since(self, earlier: CpuSnapshot) -> float:
        """Database CPU seconds since an earlier snapshot (server processes come and go)."""
        return sum(now - earlier.database.get(pid, 0.0) for pid, now in self.database.items())


class CpuMeter:
    """Measures the CPU each group uses between two snapshots.

    The database is every process of a PostgreSQL server on this machine, so other work on
    that server counts too; a connection closed during the run takes its share with it.
    """

    def __init__(self, bot_pids: Iterable[int], count_database: bool) -> None:
        self.bots = [psutil.Process(pid) for pid in bot_pids]
        self.harness = psutil.Process(os.getpid())
        self.count_database = count_database

    def snapshot(self) -> CpuSnapshot:
        """CPU seconds so far (database processes are looked up afresh: they come and go)."""
        database = _cpu_by_pid(database_processes()) if self.count_database else {}
        return CpuSnapshot(_cpu_seconds(self.bots), _cpu_seconds([self.harness]), database)


def per_update_ms(start: CpuSnapshot, end: CpuSnapshot, updates: int) -> dict[str, float]:
    """CPU milliseconds per update of each group between two snapshots."""
    count = max(1, updates)
    return {
        "bots": round(1000 * (end.bots - start.bots) / count, 2),
        "harness": round(1000 * (end.harness - start.harness) / count, 2),
        "database": round(1000 * end.database_since(start) / count, 2),
    }
