"""Shared by the fault-injection tests: counting what was lost or sent twice, and the table.

Each fault test counts, against the replies the same updates get with no fault, how many
replies never arrived (lost) and how many arrived more than once (duplicated), and adds a
row to the table written to $SENDBOT_FAULT_TABLE when that is set (the README's table).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Tally:
    """One fault case's outcome."""

    case: str
    updates: int
    lost: int
    duplicated: int
    note: str = ""

    def record(self) -> Tally:
        """Add this row to the table file, if one is asked for; return self."""
        path = os.environ.get("SENDBOT_FAULT_TABLE")
        if path:
            with open(path, "a", encoding="utf-8") as table:
                table.write(json.dumps(asdict(self)) + "\n")
        return self


def tally(
    case: str,
    updates: int,
    expected: Iterable[str],
    delivered: Iterable[str],
    note: str = "",
    excused: Iterable[str] = (),
) -> Tally:
    """Compare replies delivered with those expected; `excused` ones may be missing.

    A reply is excused when it could not be delivered by its nature (the parent blocked
    the bot): missing it is not a loss.
    """
    want, got, pardoned = Counter(expected), Counter(delivered), Counter(excused)
    lost = sum(max(0, n - got[text] - pardoned[text]) for text, n in want.items())
    duplicated = sum(max(0, n - want[text]) for text, n in got.items())
    return Tally(case, updates, lost, duplicated, note).record()


def markdown(rows: Iterable[dict[str, object]]) -> str:
    """The table, as the README shows it."""
    lines = ["| case | updates sent | lost | duplicated | note |", "|---|---:|---:|---:|---|"]
    for row in rows:
        lines.append(
            f"| {row['case']} | {row['updates']} | {row['lost']} | {row['duplicated']} "
            f"| {row['note']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    with open(sys.argv[1], encoding="utf-8") as source:
        print(markdown(json.loads(line) for line in source if line.strip()))
