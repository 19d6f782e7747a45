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


SUPERSEDED_YAML = """\
superseded:
  - title: Old transport guidance (2014)
    urls: [https://www.gov.uk/government/publications/old-transport]
    title_patterns: ['transport guidance.*\\b2014\\b']
    replaced_by:
      title: Current transport guidance
      url: https://www.gov.uk/government/publications/new-transport
    source:
      title: A page saying the 2014 guidance was replaced
      url: https://example.org/replaced
"""


def add_source(path: Path, title: str, url: str) -> None:
    """Give an entry one more source."""
    rewrite(path, "sources:\n", f"sources:\n  - title: {title}\n    url: {url}\n")


def test_a_source_citing_superseded_guidance_is_an_error(knowledge_dir: Path) -> None:
    (knowledge_dir / "superseded.yaml").write_text(SUPERSEDED_YAML, encoding="utf-8")
    national = knowledge_dir / "national"
    add_source(
        national / "sendiass.md",
        "Some page",
        "https://GOV.UK/government/publications/old-transport/",
    )
    add_source(
        national / "local-offer.md", "DfE transport guidance, July 2014", "https://example.org/a"
    )
    add_source(
        national / "ehcp-timeline.md",
        "Current transport guidance",
        "https://www.gov.uk/government/publications/new-transport",
    )
    report = check_knowledge(knowledge_dir, TODAY)
    errors = {f.where: f.message for f in report.errors}
    assert set(errors) == {"national/sendiass", "national/local-offer"}, errors
    assert "superseded guidance 'Old transport guidance (2014)'" in errors["national/sendiass"]
    assert "cite 'Current transport guidance' instead" in errors["national/local-offer"]


def test_bundled_superseded_list_flags_the_old_guidance(tmp_path: Path) -> None:
    from sendbot.kb.loader import Source
    from sendbot.kb.superseded import SupersededList

    items = SupersededList.load(bundled_knowledge_dir() / "superseded.yaml")
    old_transport = Source(title="Home to school travel and transport guidance, July 2014", ref="x")
    old_exclusions = Source(
        title="Exclusion from maintained schools, academies and pupil referral units in England",
        ref="2017",
    )
    current = Source(
        title="Suspension and permanent exclusion guidance (DfE statutory guidance)",
        url="https://www.gov.uk/government/publications/school-exclusion",
    )
    assert items.cited_by(old_transport) is not None
    assert items.cited_by(old_exclusions) is not None
    assert items.cited_by(current) is None


def test_a_malformed_superseded_file_is_a_clear_error(knowledge_dir: Path) -> None:
    path = knowledge_dir / "superseded.yaml"
    cases = {
        "superseded: [{title: No replacement, urls: [https://example.org/x]}]": "replaced_by",
        "superseded:\n  - title: [unclosed": "not valid YAML",
        "just a string": "superseded.yaml",
        SUPERSEDED_YAML.replace(
            "https://www.gov.uk/government/publications/old", "http://x"
        ): "https",
        SUPERSEDED_YAML.replace("transport guidance.*", "(unclosed"): "regular expression",
    }
    for text, expected in cases.items():
        path.write_text(text, encoding="utf-8")
        report = check_knowledge(knowledge_dir, TODAY)
        found = [f for f in report.errors if f.where == "superseded.yaml"]
        assert len(found) == 1, text
        assert expected in found[0].message, (text, found[0].message)


def test_review_every_is_parsed() -> None:
    from sendbot.kb.loader import parse_interval

    assert parse_interval("1 month") == 1
    assert parse_interval("6 months") == 6
    assert parse_interval("1 year") == 12
    assert parse_interval("2 years") == 24
    for bad in ("monthly", "0 months", "3 weeks", "-1 month", "1.5 years", ""):
        try:
            parse_interval(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_review_every_sets_each_entry_its_own_warning(knowledge_dir: Path) -> None:
    timeline = knowledge_dir / "national" / "ehcp-timeline.md"
    rewrite(timeline, "reviewed: 2026-11-22", "reviewed: 2026-11-22\nreview_every: 1 month")

    def warnings(today: dt.date) -> list[str]:
        report = check_knowledge(knowledge_dir, today)
        assert report.errors == []
        return [f"{f.where}: {f.message}" for f in report.findings if f.level == "warning"]

    assert warnings(dt.date(2026, 12, 22)) == []
    late = warnings(dt.date(2026, 12, 23))
    assert late == [
        "national/ehcp-timeline: last reviewed 2026-11-22: over 1 month ago (review every 1 month)"
    ]
    # The others keep the default of 12 months.
    assert [w for w in warnings(dt.date(2027, 11, 23)) if "sendiass" in w]
    assert not [w for w in warnings(dt.date(2027, 11, 22)) if "sendiass" in w]


def test_a_bad_review_every_is_an_error(knowledge_dir: Path) -> None:
    rewrite(
        knowledge_dir / "national" / "sendiass.md",
        "reviewed: 2026-11-22",
        "reviewed: 2026-11-22\nreview_every: fortnightly",
    )
    found = "\n".join(f.message for f in check_knowledge(knowledge_dir, TODAY).errors)
    assert "review_every" in found and "fortnightly" in found


def test_an_overdue_review_warns_but_kb_check_still_passes(knowledge_dir: Path) -> None:
    rewrite(
        knowledge_dir / "national" / "sendiass.md",
        "reviewed: 2026-11-22",
        "reviewed: 2026-11-22\nreview_every: 1 month",
    )
    env = {"SENDBOT_KNOWLEDGE_DIR": str(knowledge_dir)}
    result = CliRunner().invoke(cli, ["kb", "check", "--today", "2027-03-01"], env=env)
    assert result.exit_code == 0, result.output
    assert "WARNING: national/sendiass: last reviewed 2026-11-22" in result.output
    assert "0 errors, 1 warnings" in result.output


def test_add_months_keeps_to_the_end_of_short_months() -> None:
    from sendbot.kb.check import add_months

    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 11, 22), 12) == dt.date(2027, 11, 22)
    assert add_months(dt.date(2026, 12, 2), 1) == dt.date(2027, 1, 2)
