"""`sendbot kb check`: validate the knowledge base and score its readability."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import phonenumbers
import textstat
import yaml

from sendbot.kb.loader import (
    NEXT_STEPS_HEADING,
    Entry,
    KnowledgeError,
    entry_files,
    load_council,
    load_sections,
    parse_entry,
)
from sendbot.kb.off_topic import DEFAULT_OFF_TOPICS, OffTopics
from sendbot.kb.superseded import DEFAULT_SUPERSEDED, SupersededList
from sendbot.kb.synonyms import DEFAULT_SYNONYMS, Analyser, SynonymTable
from sendbot.kb.texts import Texts

MAX_GRADE = 9.0
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem found, tied to a file or entry."""

    level: Level
    where: str
    message: str


@dataclass
class Row:
    """One line of the table: an entry and its measures."""

    id: str
    scope: str
    questions: int
    sources: int
    reviewed: str
    grade: float
    status: str = "ok"


@dataclass
class Report:
    """Everything `kb check` found."""

    rows: list[Row] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        """Findings that fail the check."""
        return [f for f in self.findings if f.level == "error"]

    def add(self, level: Level, where: str, message: str) -> None:
        """Record a finding."""
        self.findings.append(Finding(level, where, message))


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade of a text, ignoring Markdown marks."""
    plain = re.sub(r"[*_#>`]|\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return float(textstat.flesch_kincaid_grade(plain))


def phone_numbers(text: str) -> list[str]:
    """Phone-number-like strings: valid UK numbers and any long dialable run."""
    found = [
        m.raw_string
        for m in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.VALID)
    ]
    for match in phonenumbers.PhoneNumberMatcher(
        text, "GB", leniency=phonenumbers.Leniency.POSSIBLE
    ):
        digits = re.sub(r"\D", "", match.raw_string)
        if len(digits) >= 10 and match.raw_string not in found:
            found.append(match.raw_string)
    return found


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day some months later, or the month's last day where it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def describe_interval(months: int) -> str:
    """A review interval in words: "12 months", "1 month", "2 years"."""
    if months % 12 == 0 and months > 12:
        return f"{months // 12} years"
    return f"{months} month" if months == 1 else f"{months} months"


def normalise_phrase(text: str) -> str:
    """Lower-case words only, for spotting the same phrasing twice."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def check_entry(
    entry: Entry,
    report: Report,
    today: dt.date,
    national: bool,
    superseded: SupersededList | None = None,
) -> Row:
    """Check one parsed entry; return its table row."""
    where = f"{entry.scope}/{entry.id}"
    grade = reading_grade(entry.opening)
    row = Row(
        entry.id,
        entry.scope,
        len(entry.questions),
        len(entry.sources),
        entry.reviewed.isoformat(),
        grade,
    )
    before = len(report.findings)
    if entry.path.stem != entry.id:
        report.add("error", where, f"file name {entry.path.name} does not match id")
    if grade > MAX_GRADE:
        report.add("error", where, f"opening answer reads at grade {grade:.1f} (max {MAX_GRADE})")
    if NEXT_STEPS_HEADING not in entry.body:
        report.add("error", where, f"missing the '{NEXT_STEPS_HEADING}' section")
    if entry.opening.startswith("#"):
        report.add("error", where, "the answer must come first, before any heading")
    if "UNCONFIRMED" in entry.body.upper():
        report.add("error", where, "contains a fact marked UNCONFIRMED")
    if entry.reviewed > today:
        report.add("error", where, f"reviewed date {entry.reviewed} is in the future")
    elif today > add_months(entry.reviewed, entry.review_months):
        interval = describe_interval(entry.review_months)
        report.add(
            "warning",
            where,
            f"last reviewed {entry.reviewed}: over {interval} ago (review every {interval})",
        )
    for source in entry.sources:
        old = superseded.cited_by(source) if superseded else None
        if old:
            report.add(
                "error",
                where,
                f"source {source.title!r} cites superseded guidance {old.title!r}; "
                f"cite {old.replaced_by.title!r} instead",
            )
    if national:
        text = "\n".join((entry.title, *entry.questions, entry.body))
        for number in phone_numbers(text):
            report.add("error", where, f"phone number in a national entry: {number}")
        for address in EMAIL.findall(text):
            report.add("error", where, f"e-mail address in a national entry: {address}")
    levels = {f.level for f in report.findings[before:]}
    row.status = "error" if "error" in levels else "warning" if levels else "ok"
    return row


def _load_folder(folder: Path, scope: str, report: Report) -> dict[str, Entry]:
    """Parse every entry in a folder, recording parse errors and duplicate ids."""
    entries: dict[str, Entry] = {}
    for path in entry_files(folder):
        try:
            entry = parse_entry(path, scope)
        except KnowledgeError as error:
            report.add("error", str(path.relative_to(folder.parent.parent)), str(error))
            continue
        if entry.id in entries:
            report.add("error", f"{scope}/{entry.id}", f"duplicate id in {path.name}")
            continue
        entries[entry.id] = entry
    return entries


def _check_phrasings(entries: dict[str, Entry], report: Report, scope: str) -> None:
    """No parent phrasing may belong to two entries."""
    owners: dict[str, str] = {}
    for entry in entries.values():
        for question in entry.questions:
            key = normalise_phrase(question)
            other = owners.get(key)
            if other and other != entry.id:
                report.add("error", f"{scope}/{entry.id}", f"phrasing {question!r} also in {other}")
            owners[key] = entry.id


def _check_related(entries: dict[str, Entry], report: Report) -> None:
    """Every related id must resolve, and not point at itself."""
    for entry in entries.values():
        for related in entry.related:
            if related not in entries:
                report.add("error", f"{entry.scope}/{entry.id}", f"related id {related!r} unknown")
            elif related == entry.id:
                report.add("error", f"{entry.scope}/{entry.id}", "lists itself as related")


def check_knowledge(root: Path, today: dt.date) -> Report:
    """Check national entries, every local pack, topics and messages."""
    report = Report()
    superseded = _load_superseded(root, report)
    national = _load_folder(root / "national", "national", report)
    for entry in national.values():
        report.rows.append(check_entry(entry, report, today, True, superseded))
    _check_phrasings(national, report, "national")
    _check_related(national, report)
    for section in load_sections(root):
        for entry_id in section.ids:
            if entry_id not in national:
                report.add("error", f"topics/{section.key}", f"topic {entry_id!r} has no entry")
    local_root = root / "local"
    for folder in (
        sorted(p for p in local_root.iterdir() if p.is_dir()) if local_root.is_dir() else []
    ):
        scope = folder.name
        try:
            pack = load_council(folder)
            if pack.council != scope:
                report.add("error", f"{scope}/council.yaml", f"council key is {pack.council!r}")
            for name, contact in pack.contacts.items():
                if contact is not None and contact.source is None:
                    report.add("error", f"{scope}/council.yaml", f"contact {name} has no source")
        except KnowledgeError as error:
            report.add("error", f"{scope}/council.yaml", str(error))
        local = _load_folder(folder, scope, report)
        for entry in local.values():
            report.rows.append(check_entry(entry, report, today, False, superseded))
        merged = {**national, **local}
        _check_phrasings(merged, report, scope)
        _check_related(merged, report)
    try:
        Texts.load(root / "messages.yaml").keys()
    except (OSError, ValueError, yaml.YAMLError) as error:
        report.add("error", "messages.yaml", str(error))
    _check_matching_data(root, report)
    return report


def _load_superseded(root: Path, report: Report) -> SupersededList | None:
    """The superseded-guidance list, where the folder has one; a malformed file is an error."""
    path = root / DEFAULT_SUPERSEDED
    if not path.is_file():
        return None
    try:
        return SupersededList.load(path)
    except KnowledgeError as error:
        report.add("error", DEFAULT_SUPERSEDED, str(error))
        return None


def _check_matching_data(root: Path, report: Report) -> None:
    """The synonym and off-topic files question matching reads, where the folder has them."""
    synonyms = root / DEFAULT_SYNONYMS
    if synonyms.is_file():
        try:
            Analyser(SynonymTable.load(synonyms))
        except KnowledgeError as error:
            report.add("error", DEFAULT_SYNONYMS, str(error))
    off_topics = root / DEFAULT_OFF_TOPICS
    if off_topics.is_file():
        try:
            OffTopics.load(off_topics)
        except KnowledgeError as error:
            report.add("error", DEFAULT_OFF_TOPICS, str(error))


def format_table(report: Report) -> str:
    """The report as a plain-text table followed by its findings."""
    header = ("id", "scope", "questions", "sources", "reviewed", "grade", "status")
    lines = [
        (r.id, r.scope, str(r.questions), str(r.sources), r.reviewed, f"{r.grade:.1f}", r.status)
        for r in report.rows
    ]
    widths = [
        max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
        for i, h in enumerate(header)
    ]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out.append("")
    for finding in report.findings:
        out.append(f"{finding.level.upper()}: {finding.where}: {finding.message}")
    errors = len(report.errors)
    warnings = len(report.findings) - errors
    out.append(f"{len(report.rows)} entries checked: {errors} errors, {warnings} warnings")
    return "\n".join(out)
