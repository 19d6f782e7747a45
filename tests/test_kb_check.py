"""`sendbot kb check` and `sendbot kb list`, on good and deliberately broken knowledge."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from sendbot.cli import cli
from sendbot.clock import system_clock
from sendbot.config import bundled_knowledge_dir
from sendbot.kb.check import check_knowledge, phone_numbers
from sendbot.kb.loader import load_knowledge

TODAY = dt.date(2026, 11, 22)


def messages_for(report_findings: list[object]) -> list[str]:
    """Finding messages as plain strings."""
    return [getattr(f, "message", "") for f in report_findings]


def test_test_knowledge_passes(knowledge_dir: Path) -> None:
    report = check_knowledge(knowledge_dir, TODAY)
    assert report.errors == []
    assert sorted((row.scope, row.id) for row in report.rows) == [
        ("national", "ehcp-timeline"),
        ("national", "local-offer"),
        ("national", "sendiass"),
        ("testshire", "local-offer"),
    ]


def test_bundled_knowledge_passes_and_covers_every_topic() -> None:
    root = bundled_knowledge_dir()
    report = check_knowledge(root, system_clock().date())
    assert [f"{f.where}: {f.message}" for f in report.errors] == []
    national = {row.id for row in report.rows if row.scope == "national"}
    assert len(national) >= 49


def rewrite(path: Path, old: str, new: str) -> None:
    """Replace text in a file."""
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_each_kind_of_problem_is_reported(knowledge_dir: Path) -> None:
    national = knowledge_dir / "national"
    rewrite(national / "sendiass.md", "related: [ehcp-timeline]", "related: [no-such-topic]")
    rewrite(national / "sendiass.md", "- what is sendiass", "- how long does an ehcp take")
    rewrite(
        national / "local-offer.md",
        "## What you can do next",
        "Ring 0117 922 2000 or write to help@example.org.\n\n## Next",
    )
    rewrite(national / "ehcp-timeline.md", "reviewed: 2026-11-22", "reviewed: 2024-01-01")
    rewrite(
        national / "ehcp-timeline.md",
        "The final plan is due within 20 weeks of the request.",
        "Notwithstanding the aforementioned statutory considerations, the authority's "
        "determination regarding the commencement of an assessment necessitates "
        "consideration of multifarious evidential documentation.",
    )
    (national / "broken.md").write_text("---\nid: broken\n---\nno front matter fields\n")
    report = check_knowledge(knowledge_dir, TODAY)
    found = "\n".join(f"{f.level} {f.where}: {f.message}" for f in report.findings)
    assert "related id 'no-such-topic' unknown" in found
    assert "also in ehcp-timeline" in found or "also in sendiass" in found
    assert "phone number in a national entry: 0117 922 2000" in found
    assert "e-mail address in a national entry: help@example.org" in found
    assert "missing the '## What you can do next' section" in found
    assert "warning national/ehcp-timeline: last reviewed 2024-01-01" in found
    assert "opening answer reads at grade" in found
    assert "broken.md" in found and "questions" in found


def test_phone_detection_ignores_legal_references() -> None:
    assert phone_numbers("CFA 2014 s36(8), [2024] EWHC 1928 (Admin), reg 10(4), call 999") == []
    assert phone_numbers("call 0808 800 5000 or 01632 960123") == ["0808 800 5000", "01632 960123"]


def test_kb_check_cli_exit_codes(knowledge_dir: Path) -> None:
    runner = CliRunner()
    env = {"SENDBOT_KNOWLEDGE_DIR": str(knowledge_dir)}
    good = runner.invoke(cli, ["kb", "check", "--today", "2026-11-22"], env=env)
    assert good.exit_code == 0, good.output
    assert "4 entries checked: 0 errors" in good.output
    rewrite(knowledge_dir / "national" / "sendiass.md", "related: [ehcp-timeline]", "related: [x]")
    bad = runner.invoke(cli, ["kb", "check", "--today", "2026-11-22"], env=env)
    assert bad.exit_code == 1


def test_local_pack_overrides_and_extends(knowledge_dir: Path) -> None:
    kb = load_knowledge(knowledge_dir, "testshire")
    assert kb.entries["local-offer"].scope == "testshire"
    assert "local-offer" in kb.overridden
    national_only = load_knowledge(knowledge_dir, None)
    assert national_only.entries["local-offer"].scope == "national"


def test_kb_list_json(knowledge_dir: Path) -> None:
    env = {"SENDBOT_KNOWLEDGE_DIR": str(knowledge_dir), "SENDBOT_COUNCIL": "testshire"}
    result = CliRunner().invoke(cli, ["kb", "list", "--json"], env=env)
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert [i["id"] for i in items] == ["ehcp-timeline", "local-offer", "sendiass"]
    assert set(items[0]) == {"id", "title", "sources", "reviewed"}
    assert items[1]["title"] == "Testshire's Local Offer"
