"""`sendbot cases stats` and "How is the council doing?": figures that match a hand count.

The hand count of tests/data/cases/stats.csv on 23 November 2026 (20 weeks = 140 days):
- final plans issued in 2026: P01 to P10 (P11 and N03 were issued in 2025): 10.
  Within 20 weeks: P01 (140 days), P02 (140), P05 (133), P07 (140), P09 (133), P10 (133):
  6 of 10, 60.0%. Late: P03 (168), P04 (203), P06 (203), P08 (203).
- excluding the plans with an exception (P04 late, reason c; P07 on time, reason a):
  5 of 8, 62.5%.
- median request to final plan: 133,133,133,140,140,140,168,203,203,203 days: 140 days,
  20.0 weeks.
- waiting for a final plan now (request received, assessing, draft sent; refused, not
  issuing and ceased cases are not waiting): W01 (21 days), W02 (175), W03 (203),
  W04 (448), W05 (49), W06 (112): 6. Over 20 weeks: W02, W03, W04: 3, suppressed. Over a
  year: W04: 1, suppressed. Median wait: (112 + 175) / 2 = 143.5 days, 20.5 weeks.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from click.testing import CliRunner

from sendbot.app import App
from sendbot.cli import cli
from sendbot.clock import FrozenClock
from sendbot.core.cases.stats import Count, Share, compute
from sendbot.core.messages import Inbound, InboundKind
from tests.casefiles import seed

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)
FILE = Path(__file__).parent / "data" / "cases" / "stats.csv"
SECRET = "test-secret-key-not-for-production"


def rows() -> list[dict[str, str]]:
    import csv

    with FILE.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_counts_under_5_are_suppressed() -> None:
    assert Count.of(0).value == 0 and Count.of(4).value is None and Count.of(5).value == 5
    assert str(Count.of(3)) == "fewer than 5"
    assert Share.of(4, 10).percent is None and Share.of(5, 10).percent == 50.0
    assert Share.of(5, 5).percent == 100.0 and Share.of(0, 0).percent is None
    assert Share.of(0, 7).percent == 0.0


def test_the_figures_match_the_hand_count() -> None:
    def day(text: str) -> date | None:
        return date.fromisoformat(text) if text else None

    data = [
        (
            r["stage"],
            date.fromisoformat(r["request_date"]),
            day(r["final_date"]),
            r["exception"] or None,
        )
        for r in rows()
    ]
    stats = compute(data, TODAY)
    assert stats.year == 2026
    assert (stats.plans.part.value, stats.plans.whole.value, stats.plans.percent) == (6, 10, 60.0)
    assert (stats.plans_ex.part.value, stats.plans_ex.whole.value, stats.plans_ex.percent) == (
        5,
        8,
        62.5,
    )
    assert stats.median_weeks == 20.0
    assert stats.waiting.value == 6
    assert stats.waiting_over_20.value is None and stats.waiting_over_52.value is None
    assert stats.waiting_median_weeks == 20.5


async def test_the_button_shows_the_figures_and_the_official_one(app: App, tmp_path: Path) -> None:
    await seed(app, rows(), tmp_path / "stats.csv", NOW)
    replies = await app.dialogue.handle(Inbound("terminal", "p1", InboundKind.BUTTON, "s:council"))
    html = replies[0].html
    assert "How is Testshire Council (fictional) doing?" in html
    assert "Management information from the council's case records, imported on" in html
    assert "These are not official statistics" in html
    assert "Final plans issued in 2026 so far:</b> 10. Within 20 weeks: 6 of 10 (60.0%)." in html
    assert "(as the Department for Education also counts them): 5 of 8 (62.5%)." in html
    assert "(the median): 20.0 weeks" in html
    assert (
        "now:</b> 6. Waiting more than 20 weeks: fewer than 5. More than a year: fewer than 5."
        in html
    )
    assert "Typical wait so far: 20.5 weeks." in html
    assert "No official figure for this council" in html


def test_cli_stats_json_and_text(
    env_for_cli: dict[str, str], knowledge_dir: Path, tmp_path: Path
) -> None:
    pack = knowledge_dir / "local" / "testshire" / "council.yaml"
    pack.write_text(
        pack.read_text().replace(
            "complaints:",
            "timeliness:\n"
            '  value: "50% (5 of 10)"\n'
            '  measure: "new EHC plans issued within 20 weeks"\n'
            '  period: "calendar year 2025"\n'
            '  published: "Fictional figures, June 2026"\n'
            '  source: {title: Fictional statistics, url: "https://testshire.example.org/stats"}\n'
            "complaints:",
            1,
        )
    )
    runner = CliRunner()
    env = dict(env_for_cli, SENDBOT_SECRET_KEY=SECRET)
    path = tmp_path / "stats.csv"
    shutil.copy(FILE, path)
    done = runner.invoke(cli, ["cases", "import", str(path)], env=env, obj=FrozenClock(NOW))
    assert done.exit_code == 0, done.output
    result = runner.invoke(cli, ["cases", "stats", "--json"], env=env, obj=FrozenClock(NOW))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["plans"] == {"part": {"value": 6}, "whole": {"value": 10}, "percent": 60.0}
    assert data["plans_ex"]["percent"] == 62.5
    assert data["waiting"] == {"value": 6} and data["waiting_over_20"] == {"value": None}
    assert data["imported"] == "2026-11-23" and data["suppressed_below"] == 5
    assert data["label"] == "management information, not official statistics"
    assert data["official"]["value"] == "50% (5 of 10)"
    text = runner.invoke(cli, ["cases", "stats"], env=env, obj=FrozenClock(NOW))
    assert "Within 20 weeks: 6 of 10 (60.0%)" in text.output
    assert (
        "The latest official figure: 50% (5 of 10), new EHC plans issued within 20 weeks"
        in text.output
    )
    assert "Fictional statistics" in text.output
