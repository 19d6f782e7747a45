"""Column maps: read a council's own export (such as its person-level SEN2 extract) as cases.

A map is YAML. `columns` names, for each field the importer knows, the export's header that
holds it; `date_format` is how the export writes dates (strftime codes); the value maps
turn the export's codes into what the importer needs. Headers the map does not name are
ignored (never read, never stored). Without a `stage` column, the stage is worked out from
the dates and outcomes: ceased, final plan issued, not issuing, refused to assess, draft
sent, assessing, or request received. A `within_20_weeks` flag, when mapped, must agree
with the dates, so a map pointed at the wrong column is caught.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sendbot.core.cases.deadlines import FINAL_WEEKS, STAGES, add_weeks
from sendbot.kb.check import Report

FIELDS = (
    "case_ref",
    "child_first_name",
    "child_dob",
    "request_date",
    "stage",
    "decision_date",
    "draft_date",
    "final_date",
    "last_review_date",
    "next_transfer_date",
    "exception",
    "assessment_outcome",  # the decision on the request: assess or not
    "plan_outcome",  # the decision after assessment: issue a plan or not
    "ceased_date",
    "within_20_weeks",  # the export's own 20-week flag, checked against the dates
)
NEEDED = ("case_ref", "child_first_name", "child_dob", "request_date")
DATES = (
    "child_dob",
    "request_date",
    "decision_date",
    "draft_date",
    "final_date",
    "last_review_date",
    "next_transfer_date",
    "ceased_date",
)
ISO = "%Y-%m-%d"
DATE_CACHE = 200_000  # distinct date texts remembered while reading one file
IMPORT_MAP = "import-map.yaml"  # a local pack's column map, used when a file needs one


class MapError(ValueError):
    """A column map that cannot be used; the message says why."""


class ColumnMap(BaseModel):
    """How to read one kind of export."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2)
    columns: dict[str, str]
    date_format: str = ISO
    assessment_outcomes: dict[str, str] = Field(default_factory=dict)  # value -> assess/not
    plan_outcomes: dict[str, str] = Field(default_factory=dict)  # value -> issue/not
    exceptions: dict[str, str] = Field(default_factory=dict)  # value -> a, b, c, d or ""
    stages: dict[str, str] = Field(default_factory=dict)  # value -> one of STAGES
    yes: list[str] = Field(default_factory=lambda: ["y", "yes", "1", "true"])
    no: list[str] = Field(default_factory=lambda: ["n", "no", "0", "false"])

    @field_validator("columns")
    @classmethod
    def _fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; known: {', '.join(FIELDS)}")
        missing = [f for f in NEEDED if f not in value]
        if missing:
            raise ValueError(f"the map must name a column for: {', '.join(missing)}")
        headers = [h.strip().lower() for h in value.values()]
        if len(set(headers)) != len(headers):
            raise ValueError("two fields are mapped to the same column")
        return value

    @field_validator("assessment_outcomes")
    @classmethod
    def _assessment(cls, value: dict[str, str]) -> dict[str, str]:
        return _values(value, ("assess", "not_assess"))

    @field_validator("plan_outcomes")
    @classmethod
    def _plan(cls, value: dict[str, str]) -> dict[str, str]:
        return _values(value, ("issue", "not_issue"))

    @field_validator("exceptions")
    @classmethod
    def _exceptions(cls, value: dict[str, str]) -> dict[str, str]:
        return _values(value, ("a", "b", "c", "d", ""))

    @field_validator("stages")
    @classmethod
    def _stages(cls, value: dict[str, str]) -> dict[str, str]:
        return _values(value, STAGES)

    def headers(self) -> dict[str, str]:
        """Field by the export's header (lower case)."""
        return {header.strip().lower(): field for field, header in self.columns.items()}


def _values(value: dict[str, str], allowed: tuple[str, ...]) -> dict[str, str]:
    bad = sorted({v for v in value.values() if v not in allowed})
    if bad:
        raise ValueError(f"values must be one of {', '.join(repr(a) for a in allowed)}; got {bad}")
    return {str(k).strip().lower(): v for k, v in value.items()}


def load_map(path: Path) -> ColumnMap:
    """Read a column map file; MapError names the problem."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        return ColumnMap.model_validate(raw)
    except (OSError, UnicodeDecodeError) as error:
        raise MapError(f"{path}: cannot read: {error}") from error
    except yaml.YAMLError as error:
        raise MapError(f"{path}: not valid YAML: {error}") from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise MapError(f"{path}: {problems}") from error


class Translator:
    """Turns one export row (by header) into the importer's columns, with any problems."""

    def __init__(self, column_map: ColumnMap, names: list[str]) -> None:
        self.map = column_map
        wanted = column_map.headers()
        self.index = {wanted[n]: i for i, n in enumerate(names) if n in wanted}
        self.missing = [column_map.columns[f] for f in column_map.columns if f not in self.index]
        self.iso = column_map.date_format == ISO
        self.yes = {v.lower() for v in column_map.yes}
        self.no = {v.lower() for v in column_map.no}
        self.dates: dict[str, str] = {}

    def _date(self, value: str, field: str, problems: list[str]) -> str:
        if not value or self.iso:
            return value
        found = self.dates.get(value)  # exports repeat dates: parse each text once
        if found is None:
            try:
                found = datetime.strptime(value, self.map.date_format).date().isoformat()
            except ValueError:
                found = ""
            if len(self.dates) < DATE_CACHE:
                self.dates[value] = found
        if not found:
            problems.append(f"{field} is not a date in the form {self.map.date_format}")
        return found

    def translate(self, fields: list[str]) -> tuple[dict[str, str], list[str]]:
        """The row in the importer's columns, and problems only the map can see."""
        problems: list[str] = []
        raw = {field: fields[i].strip() for field, i in self.index.items()}
        for field in DATES:
            if field in raw:
                raw[field] = self._date(raw[field], field, problems)
        cm = self.map
        outcome = cm.assessment_outcomes.get(raw.pop("assessment_outcome", "").lower(), "")
        plan = cm.plan_outcomes.get(raw.pop("plan_outcome", "").lower(), "")
        ceased = raw.pop("ceased_date", "")
        flag = raw.pop("within_20_weeks", "").lower()
        if "exception" in raw and cm.exceptions:
            raw["exception"] = cm.exceptions.get(raw["exception"].lower(), raw["exception"])
        if "stage" in raw:
            raw["stage"] = cm.stages.get(raw["stage"].lower(), raw["stage"])
        else:
            raw["stage"] = _stage(raw, outcome, plan, ceased)
        if flag and raw.get("final_date") and raw.get("request_date"):
            problems += self._check_flag(flag, raw["request_date"], raw["final_date"])
        return raw, problems

    def _check_flag(self, flag: str, requested: str, final: str) -> list[str]:
        if flag not in self.yes and flag not in self.no:
            return ["within_20_weeks must be one of the map's yes or no values"]
        try:
            on_time = datetime.fromisoformat(final).date() <= add_weeks(
                datetime.fromisoformat(requested).date(), FINAL_WEEKS
            )
        except ValueError:
            return []  # the date problem is reported already
        if on_time != (flag in self.yes):
            said = "within" if flag in self.yes else "over"
            return [f"within_20_weeks says {said} 20 weeks, but the dates say otherwise"]
        return []


def _stage(raw: dict[str, str], outcome: str, plan: str, ceased: str) -> str:
    """The stage the dates and outcomes show, latest step first."""
    if ceased:
        return "ceased"
    if raw.get("final_date"):
        return "final_issued"
    if plan == "not_issue":
        return "not_issuing"
    if outcome == "not_assess":
        return "refused_to_assess"
    if raw.get("draft_date"):
        return "draft_issued"
    if outcome == "assess" or raw.get("decision_date"):
        return "assessing"
    return "request_received"


def check_import_maps(root: Path, report: Report) -> None:
    """Add an error to a `kb check` report for each local pack's column map that is wrong."""
    local_root = root / "local"
    folders = sorted(p for p in local_root.iterdir() if p.is_dir()) if local_root.is_dir() else []
    for folder in folders:
        import_map = folder / IMPORT_MAP
        if import_map.is_file():
            try:
                load_map(import_map)
            except MapError as error:
                report.add("error", f"{folder.name}/{IMPORT_MAP}", str(error))
