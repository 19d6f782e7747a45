"""Every bundled council pack loads, checks clean, and backs each local fact with a source."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from sendbot.clock import system_clock
from sendbot.config import bundled_knowledge_dir
from sendbot.kb.check import EMAIL, check_knowledge, phone_numbers
from sendbot.kb.loader import entry_files, load_council, load_knowledge

KNOWLEDGE = bundled_knowledge_dir()
PACKS = sorted(p.name for p in (KNOWLEDGE / "local").iterdir() if p.is_dir())


def digits(text: str) -> str:
    """Only the digits of a phone number."""
    return re.sub(r"\D", "", text)


def test_the_real_and_fictional_packs_are_bundled() -> None:
    assert {"bristol", "fernshire", "plymouth"} <= set(PACKS)


@pytest.mark.parametrize("council", PACKS)
def test_pack_loads_and_checks_with_no_errors(council: str) -> None:
    kb = load_knowledge(KNOWLEDGE, council)
    assert kb.council is not None and kb.council.council == council
    local = [e for e in kb.entries.values() if e.scope == council]
    assert local, f"{council} has no local entries"
    report = check_knowledge(KNOWLEDGE, system_clock().date())
    errors = [f"{f.where}: {f.message}" for f in report.errors if f.where.startswith(council)]
    assert errors == []
    assert {row.id for row in report.rows if row.scope == council} == {e.id for e in local}


@pytest.mark.parametrize("council", PACKS)
def test_every_local_fact_has_a_source_a_reader_can_open(council: str) -> None:
    pack = load_council(KNOWLEDGE / "local" / council)
    assert pack.contacts, f"{council} lists no contacts"
    for key, contact in pack.contacts.items():
        assert contact is not None and contact.source is not None, f"{council}/{key}"
        assert contact.source.url and contact.source.url.startswith("https://"), key
        assert contact.url is None or contact.url.startswith("https://"), key
    stages = [*pack.complaints.corporate, *pack.complaints.childrens_social_care]
    if stages:
        assert pack.complaints.source is not None and pack.complaints.source.url
    for stage in stages:
        assert stage.max_working_days is None or stage.max_working_days >= stage.working_days
    assert pack.safeguarding_message and "999" in pack.safeguarding_message
    for path in entry_files(KNOWLEDGE / "local" / council):
        entry = load_knowledge(KNOWLEDGE, council).entries[path.stem]
        assert any(s.url and s.url.startswith("https://") for s in entry.sources), path.name


REAL_PACKS = [c for c in PACKS if not load_council(KNOWLEDGE / "local" / c).fictional]


@pytest.mark.parametrize("council", REAL_PACKS)
def test_numbers_and_addresses_in_answers_are_recorded_in_council_yaml(council: str) -> None:
    """A real pack's answers give only numbers and e-mails whose source council.yaml records."""
    folder = KNOWLEDGE / "local" / council
    recorded = (folder / "council.yaml").read_text(encoding="utf-8")
    recorded_numbers = {digits(n) for n in phone_numbers(recorded)}
    recorded_emails = {e.lower() for e in EMAIL.findall(recorded)}
    kb = load_knowledge(KNOWLEDGE, council)
    texts = [e.body for e in kb.entries.values() if e.scope == council]
    assert kb.council is not None
    texts.append(kb.council.safeguarding_message or "")
    for text in texts:
        for number in phone_numbers(text):
            assert digits(number) in recorded_numbers, f"{council}: {number} has no source"
        for address in EMAIL.findall(text):
            assert address.lower() in recorded_emails, f"{council}: {address} has no source"


def test_plymouth_chat_answers_with_plymouths_own_services(env_for_cli: dict[str, str]) -> None:
    env = dict(env_for_cli, SENDBOT_COUNCIL="plymouth", SENDBOT_KNOWLEDGE_DIR=str(KNOWLEDGE))
    result = subprocess.run(
        [sys.executable, "-m", "sendbot", "chat"],
        input="what is the local offer\nhow do i complain\nwho is the sendiass\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    kb = load_knowledge(KNOWLEDGE, "plymouth")
    for entry_id in ("local-offer", "complain-council", "sendiass"):
        assert kb.entries[entry_id].title in out, entry_id
    assert "Bristol" not in out and "Fernshire" not in out
