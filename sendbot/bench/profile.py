"""Where the bot's time goes: cProfile files of the bot processes, summed and summarised."""

from __future__ import annotations

import pstats
from collections.abc import Sequence
from pathlib import Path

# Stages of handling one update, each named by a function that covers it (cumulative time).
STAGES = (
    ("webhook request, whole", "webhook.py", "receive"),
    ("parse the update (de_json)", "_update.py", "de_json"),
    ("dialogue, whole (database + core)", "dialogue.py", "_handle"),
    ("  database statements", "session.py", "execute"),
    ("  commit", "session.py", "commit"),
    ("  answer retrieval", "retrieval.py", "search"),
    ("Bot API calls, whole", "_baserequest.py", "post"),
    ("  typing action", "_bot.py", "send_chat_action"),
    ("  send replies", "delivery.py", "deliver"),
    ("event loop waiting (idle)", "selectors.py", "select"),
)


def load(paths: Sequence[Path]) -> pstats.Stats:
    """The profiles of all processes, added together."""
    stats = pstats.Stats(str(paths[0]))
    for path in paths[1:]:
        stats.add(str(path))
    return stats


def _cumulative(stats: pstats.Stats, file_part: str, name: str) -> float:
    """Cumulative seconds of the functions matching a file and a name (the outermost only)."""
    table = stats.stats  # type: ignore[attr-defined]
    total = 0.0
    for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in table.items():
        if function == name and filename.endswith(file_part):
            total = max(total, cumulative)
    return total


def summarise(paths: Sequence[Path], top: int = 15) -> str:
    """Time per stage as a share of the profiled time, then the costliest functions."""
    if not paths:
        return "no profile files written"
    stats = load(paths)
    wall = float(stats.total_tt)  # type: ignore[attr-defined]
    lines = [f"profile of {len(paths)} bot process(es), {wall:.1f} s of CPU-side time in all"]
    for label, file_part, name in STAGES:
        seconds = _cumulative(stats, file_part, name)
        share = 100 * seconds / wall if wall else 0.0
        lines.append(f"  {label:<36} {seconds:>8.2f} s {share:>5.1f}%")
    lines.append(f"costliest functions by own time (top {top}):")
    table = stats.stats  # type: ignore[attr-defined]
    ranked = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:top]
    for (filename, line, function), (_cc, calls, own, _cum, _callers) in ranked:
        where = f"{Path(filename).name}:{line}({function})"
        lines.append(f"  {own:>7.2f} s {calls:>9} calls  {where}")
    return "\n".join(lines)
