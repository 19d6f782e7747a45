"""The council's figures as a message, with the official figure from the local pack beside."""

from __future__ import annotations

from sendbot.core.cases.stats import CouncilStats, Share
from sendbot.core.cases.timefmt import long_date
from sendbot.kb.loader import KnowledgeBase
from sendbot.kb.texts import Texts


def share_text(texts: Texts, share: Share) -> str:
    """'12 of 40 (30.0%)', or the counts alone when the share is suppressed."""
    if share.percent is None:
        return texts.get("stats.share_hidden", part=str(share.part), whole=str(share.whole))
    return texts.get(
        "stats.share", part=str(share.part), whole=str(share.whole), percent=share.percent
    )


def stats_text(texts: Texts, kb: KnowledgeBase, stats: CouncilStats) -> str:
    """The whole message (Telegram HTML subset)."""
    parts = [texts.get("stats.title", council=kb.council_name)]
    if stats.imported is None:
        parts.append(texts.get("stats.label_no_import"))
    else:
        parts.append(texts.get("stats.label", imported=long_date(stats.imported)))
    parts.append(
        texts.get(
            "stats.plans",
            year=stats.year,
            whole=str(stats.plans.whole),
            share=share_text(texts, stats.plans),
        )
        + " "
        + texts.get("stats.plans_ex", share=share_text(texts, stats.plans_ex))
    )
    if stats.median_weeks is None:
        parts.append(texts.get("stats.median_hidden"))
    else:
        parts.append(texts.get("stats.median", weeks=stats.median_weeks))
    waiting = texts.get(
        "stats.waiting",
        waiting=str(stats.waiting),
        over20=str(stats.waiting_over_20),
        over52=str(stats.waiting_over_52),
    )
    if stats.waiting_median_weeks is not None:
        waiting += " " + texts.get("stats.waiting_median", weeks=stats.waiting_median_weeks)
    parts.append(waiting)
    figure = kb.council.timeliness if kb.council else None
    if figure is None:
        parts.append(texts.get("stats.official_missing"))
    else:
        parts.append(
            texts.get(
                "stats.official",
                value=figure.value,
                measure=figure.measure,
                period=figure.period,
                published=figure.published,
                url=figure.source.url or "",
                title=figure.source.title,
            )
        )
    return "\n\n".join(parts)
