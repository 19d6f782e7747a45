"""Scheduled jobs register themselves in one registry; no job module imports another."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest

from sendbot.core.jobs import registry
from sendbot.core.jobs.registry import Job, JobContext
from sendbot.core.schedule import scheduled_jobs

PACKAGE = Path(__file__).resolve().parent.parent / "sendbot"


def job_modules() -> dict[str, Path]:
    """Every module of sendbot/ that registers a job, by dotted name."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        registers = re.search(r"\bregister\(\s*Job\(", path.read_text(encoding="utf-8"))
        if path.name != "registry.py" and registers:
            dotted = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
            found[dotted] = path
    return found


def test_every_job_module_is_in_the_catalogue() -> None:
    modules = job_modules()
    assert len(modules) >= 5
    registered = {job.run.__module__ for job in scheduled_jobs()}
    assert registered == set(modules)
    names = [job.name for job in scheduled_jobs()]
    assert len(names) == len(set(names))
    assert {"outbox", "retention-purge", "case-deadlines", "ticket-reminders"} <= set(names)


def test_no_job_module_imports_another() -> None:
    modules = job_modules()
    offenders = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        bad = (imported & set(modules)) - {name}
        bad |= {m for m in imported if m == "sendbot.core.schedule"}
        if bad:
            offenders[name] = sorted(m for m in bad if m)
    assert offenders == {}


def test_two_jobs_may_not_share_a_name() -> None:
    async def one(context: JobContext) -> object:
        return None

    async def other(context: JobContext) -> object:
        return None

    first = Job("test-only-job", timedelta(minutes=1), one)
    try:
        registry.register(first)
        registry.register(first)  # the same job again (a module imported twice) is fine
        with pytest.raises(ValueError, match="test-only-job"):
            registry.register(Job("test-only-job", timedelta(minutes=1), other))
    finally:
        registry._JOBS.pop("test-only-job", None)
    assert "test-only-job" not in {job.name for job in scheduled_jobs()}
