"""Rewrite a copy of a text, find things in the copy, and replace them in the original.

Redaction looks for personal data in a de-obfuscated copy ("sarah dot jones at gmail dot
com" read as "sarah.jones@gmail.com"); `Rewritten` keeps where each part of the copy came
from, so what is found there is replaced in the text the parent wrote.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Span = tuple[int, int]


@dataclass(frozen=True)
class Rewritten:
    """A rewritten copy of a text and, for each of its pieces, where it came from."""

    text: str
    starts: list[int]  # where each piece begins in the copy
    origins: list[Span]  # the span of the original it came from
    verbatim: list[bool]  # whether the piece is the original's text unchanged

    def original(self, span: Span) -> Span:
        """The span of the original text that a span of the copy came from."""
        start, end = span
        return self._position(start, at_end=False), self._position(end, at_end=True)

    def _position(self, position: int, *, at_end: bool) -> int:
        """Where a position of the copy falls in the original."""
        index = bisect.bisect_right(self.starts, position - 1 if at_end else position) - 1
        index = max(index, 0)
        begin, finish = self.origins[index]
        if self.verbatim[index]:
            return min(begin + position - self.starts[index], finish)
        return finish if at_end else begin


def rewrite(
    text: str, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]
) -> Rewritten:
    """A copy of `text` with each match of `pattern` replaced, keeping where pieces came from."""
    pieces: list[str] = []
    starts: list[int] = []
    origins: list[Span] = []
    verbatim: list[bool] = []
    length = 0
    previous = 0

    def add(piece: str, origin: Span, same: bool) -> None:
        nonlocal length
        pieces.append(piece)
        starts.append(length)
        origins.append(origin)
        verbatim.append(same)
        length += len(piece)

    for match in pattern.finditer(text):
        if match.start() > previous:
            add(text[previous : match.start()], (previous, match.start()), True)
        add(replace(match), match.span(), False)
        previous = match.end()
    add(text[previous:], (previous, len(text)), True)
    return Rewritten("".join(pieces), starts, origins, verbatim)


def replace_spans(text: str, spans: Iterable[Span], placeholder: str) -> str:
    """Text with each span (overlapping ones merged) replaced by one placeholder."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + placeholder + text[end:]
    return text
