"""Question answering and the knowledge base: `sendbot ask`, `sendbot eval`, `sendbot kb ...`."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from sendbot.cli.context import (
    clock_from,
    knowledge_from,
    opened_database,
    run_async,
    settings_from,
)


def _plain(html: str) -> str:
    """Telegram HTML as plain text for the terminal."""
    return re.sub(r"<[^>]+>", "", html).replace("&amp;", "&").replace("&lt;", "<")


@click.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object a line).")
@click.pass_context
def ask(ctx: click.Context, question: str, as_json: bool) -> None:
    """Answer a question from the knowledge base ('-' reads one question a line from stdin)."""
    from sendbot.core.texts import Texts
    from sendbot.kb.retrieval import Retriever

    settings = settings_from(ctx)
    kb = knowledge_from(ctx)
    retriever = Retriever(kb)
    texts = Texts.load(settings.knowledge_dir / "messages.yaml")
    questions = (line.rstrip("\n") for line in sys.stdin) if question == "-" else iter([question])
    for text in questions:
        result = retriever.ask(text)
        if as_json:
            click.echo(json.dumps(result.as_json()))
            sys.stdout.flush()
            continue
        if result.outcome == "answer" and result.entry:
            entry = kb.entries[result.entry]
            click.echo(f"{entry.title}  [{entry.id}, score {result.score:.2f}]\n")
            click.echo(entry.opening)
        elif result.outcome == "clarify":
            click.echo(_plain(texts.get("answer.did_you_mean")))
            for number, candidate in enumerate(result.candidates[:3], 1):
                title = kb.entries[candidate.entry].title
                click.echo(f"  {number}. {title}  [{candidate.entry}, {candidate.score:.2f}]")
        else:
            click.echo(_plain(texts.get("answer.fallback")))
        if question == "-":
            click.echo("")


@click.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--baselines", is_flag=True, help="Also measure the baselines in the same run.")
@click.option(
    "--split",
    "which",
    type=click.Choice(["all", "tune", "held-out"]),
    default="all",
    show_default=True,
    help="Measure on every question, the tuning half or the held-out half.",
)
@click.option("--calibrate", is_flag=True, help="Also print the thresholds the tuning half picks.")
@click.pass_context
def eval_command(
    ctx: click.Context, file: Path, as_json: bool, baselines: bool, which: str, calibrate: bool
) -> None:
    """Measure question answering on a JSON Lines file of {"q", "expect"} questions."""
    from sendbot.kb.baselines import EngineMethod, build_baselines
    from sendbot.kb.evaluate import EvalError, evaluate, load_eval, split
    from sendbot.kb.evaluate import calibrate as choose
    from sendbot.kb.retrieval import Retriever

    kb = knowledge_from(ctx)
    try:
        items = load_eval(file)
    except EvalError as error:
        click.echo(f"sendbot: {error}", err=True)
        raise SystemExit(2) from None
    chosen = split(items, which)  # type: ignore[arg-type]
    tuning = split(items, "tune")
    retriever = Retriever(kb)
    engine = EngineMethod(retriever.ask)
    retriever.ask("warm up")
    report = evaluate(engine, chosen)
    out: dict[str, Any] = report.as_json()
    out["split"] = which
    notes: list[str] = []
    if calibrate:
        picked = choose(retriever.rank, tuning, evidence=retriever.evidence)
        out["calibration"] = {
            "clarify": round(picked.clarify, 4),
            "answer": round(picked.answer, 4),
        }
    if baselines:
        reports = []
        for method in build_baselines(kb, notes.append):
            method.calibrate(tuning)
            method.ask("warm up")
            reports.append(evaluate(method, chosen).as_json())
        out["baselines"] = reports
        if notes:
            out["notes"] = notes
    if as_json:
        click.echo(json.dumps(out))
        return
    rows = [out, *out.get("baselines", [])]
    click.echo(
        f"{len(chosen)} questions ({which}): {report.n_in_scope} in scope, "
        f"{report.n_out_of_scope} out of scope"
    )
    header = (
        f"{'method':<10} {'top1':>6} {'top3':>6} {'mrr':>6} {'oos_rej':>8} "
        f"{'false_fb':>8} {'ans_prec':>8} {'p50_ms':>8} {'p99_ms':>8}"
    )
    click.echo(header)
    for row in rows:
        click.echo(
            f"{row['method']:<10} {row['top1']:>6.3f} {row['top3']:>6.3f} {row['mrr']:>6.3f} "
            f"{row['oos_rejection']:>8.3f} {row['false_fallback']:>8.3f} "
            f"{row['answer_precision']:>8.3f} {row['p50_ms']:>8.3f} {row['p99_ms']:>8.3f}"
        )
    for note in notes:
        click.echo(f"note: {note}")
    if "calibration" in out:
        click.echo(f"thresholds the tuning half picks: {out['calibration']}")


@click.group()
def kb() -> None:
    """Knowledge base: check and list entries."""


@kb.command("check")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Date to judge review age by.")
@click.pass_context
def kb_check(ctx: click.Context, today: Any) -> None:
    """Validate every entry and pack; exit 1 on any error."""
    from sendbot.core.cases.timefmt import london_today
    from sendbot.kb.check import check_knowledge, format_table

    settings = settings_from(ctx)
    report = check_knowledge(
        settings.knowledge_dir, today.date() if today else london_today(clock_from(ctx)())
    )
    click.echo(format_table(report))
    if report.errors:
        raise SystemExit(1)


@kb.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def kb_list(ctx: click.Context, as_json: bool) -> None:
    """List every entry in force for the configured council."""
    knowledge = knowledge_from(ctx)
    items = [
        {
            "id": entry.id,
            "title": entry.title,
            "sources": len(entry.sources),
            "reviewed": entry.reviewed.isoformat(),
        }
        for entry in sorted(knowledge.entries.values(), key=lambda e: e.id)
    ]
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    width = max((len(str(i["id"])) for i in items), default=2)
    for item in items:
        line = f"{item['id']:<{width}}  {item['reviewed']}  {item['sources']:>2}  {item['title']}"
        click.echo(line)
    click.echo(f"{len(items)} entries for {knowledge.council_name}")


@kb.command("gaps")
@click.option("--days", default=90, show_default=True, help="Look back this many days.")
@click.option("--limit", default=20, show_default=True, help="How many questions to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.pass_context
def kb_gaps(ctx: click.Context, days: int, limit: int, as_json: bool) -> None:
    """The most frequent questions the bot could not answer confidently (redacted)."""
    from sendbot.core.gaps import gap_report

    clock = clock_from(ctx)

    async def main() -> list[dict[str, Any]]:
        async with opened_database(ctx) as database:
            rows = await gap_report(database, clock(), days=days, limit=limit)
        return [
            {
                "question": r.question,
                "count": r.count,
                "first": r.first.date().isoformat(),
                "last": r.last.date().isoformat(),
                "outcome": r.outcome,
            }
            for r in rows
        ]

    rows = run_async(main())
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    if not rows:
        click.echo(f"no knowledge gaps in the last {days} days")
        return
    for row in rows:
        click.echo(
            f"{row['count']:>5}  {row['first']} .. {row['last']}  {row['outcome']:<8}  "
            f"{row['question']}"
        )
