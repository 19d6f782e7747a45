"""Where the bot's time goes: cProfile files of the bot processes, summed by layer.

cProfile's cumulative times mean little for async code (coroutines overlap), so the summary
adds up each function's own time by the layer it belongs to: sendbot, PTB, the HTTP client,
the webhook server, SQLAlchemy, the database driver, the event loop and sockets, imports.
Time spent waiting in epoll is idle time, shown apart.
"""

from __future__ import annotations

import pstats
from collections.abc import Sequence
from pathlib import Path

IDLE = "idle: waiting for the network (epoll)"
# (layer, substrings of a function's file path, or of a built-in's name when the file is "~")
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (IDLE, ("select.epoll",)),
    ("sendbot", ("/sendbot/",)),
    ("python-telegram-bot", ("/telegram/",)),
    ("HTTP (aiohttp: webhook server and Bot API client; httpx: the echo bot's client)",
     ("/aiohttp/", "/yarl/", "/multidict/", "/httpx/", "/httpcore/", "/anyio/", "/h11/")),
    ("SQLAlchemy", ("/sqlalchemy/",)),
    ("database driver", ("/asyncpg/", "/aiosqlite/", "sqlite3", "asyncpg")),
    ("imports (importlib)", ("importlib", "posix.stat", "marshal", "_imp.")),
    ("event loop and sockets", ("/asyncio/", "selectors.py", "_socket", "socket.py", "_queue",
                                "_contextvars", "/threading.py", "/ssl.py")),
    ("JSON", ("/json/", "_json")),
    ("rapidfuzz, numpy", ("rapidfuzz", "numpy")),
)  # fmt: skip
OTHER = "other (stdlib, pydantic, logging, ...)"


def load(paths: Sequence[Path]) -> pstats.Stats:
    """The profiles of all processes, added together."""
    stats = pstats.Stats(str(paths[0]))
    for path in paths[1:]:
        stats.add(str(path))
    return stats


def layer_of(filename: str, function: str) -> str:
    """The layer a function belongs to."""
    where = function if filename == "~" else filename
    for layer, parts in LAYERS:
        if any(part in where for part in parts):
            return layer
    return OTHER


def by_layer(stats: pstats.Stats) -> dict[str, float]:
    """Own seconds per layer."""
    table = stats.stats  # type: ignore[attr-defined]
    totals: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in table.items():
        layer = layer_of(filename, function)
        totals[layer] = totals.get(layer, 0.0) + own
    return totals


def summarise(paths: Sequence[Path], top: int = 12) -> str:
    """Busy time per layer as a share of all busy time, then the costliest functions."""
    if not paths:
        return "no profile files written"
    stats = load(paths)
    totals = by_layer(stats)
    idle = totals.pop(IDLE, 0.0)
    busy = sum(totals.values())
    lines = [
        f"profile of {len(paths)} bot process(es): {busy:.1f} s busy, {idle:.1f} s idle "
        "(cProfile slows Python code, so shares matter more than seconds)"
    ]
    for layer, seconds in sorted(totals.items(), key=lambda item: item[1], reverse=True):
        share = 100 * seconds / busy if busy else 0.0
        lines.append(f"  {layer:<44} {seconds:>7.2f} s {share:>5.1f}%")
    lines.append(f"costliest functions by own time (top {top}, idle left out):")
    table = stats.stats  # type: ignore[attr-defined]
    ranked = sorted(
        (item for item in table.items() if layer_of(item[0][0], item[0][2]) != IDLE),
        key=lambda item: item[1][2],
        reverse=True,
    )[:top]
    for (filename, line, function), (_cc, calls, own, _cum, _callers) in ranked:
        where = f"{Path(filename).name}:{line}({function})"
        lines.append(f"  {own:>7.2f} s {calls:>9} calls  {where}")
    return "\n".join(lines)
