"""Question answering and the knowledge base: `sendbot ask`, `sendbot eval`, `sendbot kb ...`."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sendbot.cli.context import (
    clock_from,
    knowledge_from,
    opened_database,
    run_async,
    settings_from,
)
from sendbot.config import Settings
from sendbot.kb.loader import KnowledgeBase

if TYPE_CHECKING:
    from sendbot.kb.retrieval import Retriever


def _engine(settings: Settings, kb: KnowledgeBase) -> Retriever:
    """The question engine as the bot serves it (lexical ranking and learned voters)."""
    from sendbot.kb.classifier_cache import default_cache_dir
    from sendbot.kb.engine import build_engine

    cache = settings.cache_dir or default_cache_dir()
    return build_engine(kb, cache, embeddings=settings.embedding_voter)[0]


def _plain(html: str) -> str:
    """Telegram HTML as plain text for the terminal."""
    return re.sub(r"<[^>]+>", "", html).replace("&amp;", "&").replace("&lt;", "<")


@click.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object a line).")
@click.pass_context
def ask(ctx: click.Context, question: str, as_json: bool) -> None:
    """Answer a question from the knowledge base ('-' reads one question a line from stdin)."""
    from sendbot.core.answers.questions import decide
    from sendbot.core.answers.results import Answer, Clarify
    from sendbot.kb.texts import Texts

    settings = settings_from(ctx)
    kb = knowledge_from(ctx)
    retriever = _engine(settings, kb)
    texts = Texts.load(settings.knowledge_dir / "messages.yaml")
    questions = (line.rstrip("\n") for line in sys.stdin) if question == "-" else iter([question])
    for text in questions:
        result = retriever.ask(text)
        if as_json:
            click.echo(json.dumps(result.as_json()))
            sys.stdout.flush()
            continue
        reply = decide(kb, result)
        if isinstance(reply, Answer):
            entry = kb.entries[reply.entry]
            click.echo(f"{entry.title}  [{entry.id}, score {result.score:.2f}]\n")
            click.echo(entry.opening)
            if not result.sure:
                others = ", ".join(reply.alternatives)
                click.echo(f"\n(not sure; not what you asked? {others})")
        elif isinstance(reply, Clarify):
            click.echo(_plain(texts.get("answer.did_you_mean")))
            scores = {c.entry: c.score for c in result.candidates}
            for number, choice in enumerate(reply.choices, 1):
                title = kb.entries[choice].title
                click.echo(f"  {number}. {title}  [{choice}, {scores[choice]:.2f}]")
        else:
            click.echo(_plain(texts.get("answer.fallback")))
        if question == "-":
            click.echo("")


@click.command("eval")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--baselines", is_flag=True, help="Also measure the baselines in the same run.")
@click.option(
    "--split",
    "which",
    type=click.Choice(["all", "tune", "held-out"]),
    default="all",
    show_default=True,
    help="Measure the tuning file on every question, its tuning half or its held-out half.",
)
@click.option(
    "--tune-on",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The file whose tuning half chooses every threshold (default: the first FILE).",
)
@click.option("--calibrate", is_flag=True, help="Choose the thresholds again on the tuning half.")
@click.pass_context
def eval_command(
    ctx: click.Context,
    files: tuple[Path, ...],
    as_json: bool,
    baselines: bool,
    which: str,
    tune_on: Path | None,
    calibrate: bool,
) -> None:
    """Measure question answering on JSON Lines files of {"q", "expect"} questions.

    Every method (the engine as served, the lexical engine alone, the baselines) on
    every file, in one run; only the tuning file is split.
    """
    from sendbot.kb.classifier_cache import default_cache_dir
    from sendbot.kb.eval_report import EvalSet, build_methods, format_tables, measure
    from sendbot.kb.evaluate import EvalError, load_eval, split

    settings = settings_from(ctx)
    kb = knowledge_from(ctx)
    tuning_file = tune_on or files[0]
    try:
        loaded = {path: load_eval(path) for path in (*files, tuning_file)}
    except EvalError as error:
        click.echo(f"sendbot: {error}", err=True)
        raise SystemExit(2) from None
    tuning = split(loaded[tuning_file], "tune")
    sets = [
        EvalSet(
            f"{path.name} ({which})" if path == tuning_file else path.name,
            split(loaded[path], which) if path == tuning_file else loaded[path],  # type: ignore[arg-type]
        )
        for path in files
    ]
    cache = settings.cache_dir or default_cache_dir()
    found = build_methods(kb, tuning, cache, baselines=baselines, recalibrate=calibrate)
    results = measure(found.methods, sets)
    first = results[0]["methods"]
    out: dict[str, Any] = {**first[0], "split": which, "sets": results}
    out["lexical"] = first[1]
    if baselines:
        out["baselines"] = first[2:]
    if found.notes:
        out["notes"] = found.notes
    if calibrate:
        out["calibration"] = found.calibration
    if as_json:
        click.echo(json.dumps(out))
        return
    format_tables(results, click.echo)
    for note in found.notes:
        click.echo(f"note: {note}")
    if calibrate:
        click.echo(f"thresholds the tuning half picks: {json.dumps(found.calibration)}")


@click.group()
def kb() -> None:
    """Knowledge base: check and list entries."""


@kb.command("check")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Date to judge review age by.")
@click.pass_context
def kb_check(ctx: click.Context, today: Any) -> None:
    """Validate every entry and pack; exit 1 on any error."""
    from sendbot.core.cases.column_map import check_import_maps
    from sendbot.core.cases.timefmt import london_today
    from sendbot.kb.check import check_knowledge, format_table

    settings = settings_from(ctx)
    report = check_knowledge(
        settings.knowledge_dir, today.date() if today else london_today(clock_from(ctx)())
    )
    check_import_maps(settings.knowledge_dir, report)  # the cases' own format, checked in core
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
    from sendbot.core.answers import gaps

    clock = clock_from(ctx)

    async def main() -> list[dict[str, Any]]:
        async with opened_database(ctx) as database, database.unit_of_work() as uow:
            rows = await gaps.report(uow, clock(), days=days, limit=limit)
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
