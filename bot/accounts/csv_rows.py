"""An accounts CSV's rows: the columns, the header mapped to them (`header_layout`), each record
validated into an `AccountRow` or the reasons it was refused (`RowValidator`), every problem tied to its
physical line number (`RowError`). Reading the file is `csv_stream.py`; the file's own checks (size,
encoding) `csv_file.py`; duplicates across rows `csv_duplicates.py`. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.accounts.csv_cells import (
    Cell,
    acv_cell,
    criticality_cell,
    domain_cell,
    external_id_cell,
    health_cell,
    name_cell,
    owner_cell,
    region_cell,
    slack_channel_cell,
    strategic_cell,
)

REQUIRED = ("name", "acv")
OPTIONAL = (
    "external_id", "domain", "usage_criticality", "strategic", "health_score", "owner", "region", "slack_channel",
)  # fmt: skip
COLUMNS = REQUIRED + OPTIONAL
# (phase, done, total): total is None when unknown. Called every few thousand rows, not per row.
ProgressFn = Callable[[str, int, "int | None"], None]


@dataclass(frozen=True, slots=True)
class RowError:
    line: int | None  # physical line in the file (header = 1); None for a problem with the file itself
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass(slots=True)
class AccountRow:
    line: int
    name: str
    name_key: str
    acv: Decimal
    external_id: str | None = None
    domain: str | None = None
    usage_criticality: str = "medium"
    strategic: bool = False
    health_score: int | None = None
    owner: str | None = None
    region: str | None = None
    slack_channel: str | None = None
    # Optional columns the file has; on re-import a column the file lacks leaves stored values alone.
    present: frozenset[str] = frozenset(COLUMNS)


@dataclass
class ParseResult:
    rows: list[AccountRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    columns: frozenset[str] = frozenset()
    records: int = 0  # data rows in the file, good or bad

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each known column sits in a record (-1: the file does not have it)."""

    name: int
    acv: int
    external_id: int = -1
    domain: int = -1
    usage_criticality: int = -1
    strategic: int = -1
    health_score: int = -1
    owner: int = -1
    region: int = -1
    slack_channel: int = -1

    @property
    def present(self) -> frozenset[str]:
        return frozenset(c for c in COLUMNS if getattr(self, c) >= 0)


MEMO_LIMIT = 4096


class RowValidator:
    """Turns records into AccountRows for one file layout.

    Runs once per row of 100,000-row files, so the columns are spelled out rather than looped over,
    and cells that repeat across rows (amounts, criticality, owners...) are parsed once per value.
    """

    def __init__(self, layout: Layout) -> None:
        self.at = layout
        self.present = layout.present
        self.memo: dict[str, dict[str, Cell]] = {c: {} for c in COLUMNS}

    @staticmethod
    def _cell(memo: dict[str, Cell], parse: Callable[[str], Cell], raw: str, errors: list[str]) -> Any:
        if (parsed := memo.get(raw)) is None:
            parsed = parse(raw)
            # Bounded: repeated values (criticality, owners, round amounts) fit; unique ones
            # (domains, most amounts) would cost ~230 bytes a row for nothing.
            if len(memo) < MEMO_LIMIT:
                memo[raw] = parsed
        if parsed[1] is not None:
            errors.append(parsed[1])
        return parsed[0]

    def __call__(self, line: int, raw: list[str]) -> AccountRow | list[str]:
        """One record as an AccountRow, or the list of reasons it was refused."""
        at, memo, cell = self.at, self.memo, self._cell
        errors: list[str] = []
        name, key, problem = name_cell(raw[at.name])
        if problem is not None:
            errors.append(problem)
        acv = cell(memo["acv"], acv_cell, raw[at.acv], errors)
        ext = domain = health = owner = region = channel = None
        crit, strategic = "medium", False
        if at.external_id >= 0:
            ext, problem = external_id_cell(raw[at.external_id])  # unique: not worth a memo
            if problem is not None:
                errors.append(problem)
        if at.domain >= 0:
            domain = cell(memo["domain"], domain_cell, raw[at.domain], errors)
        if at.usage_criticality >= 0:
            crit = cell(memo["usage_criticality"], criticality_cell, raw[at.usage_criticality], errors)
        if at.strategic >= 0:
            strategic = cell(memo["strategic"], strategic_cell, raw[at.strategic], errors)
        if at.health_score >= 0:
            health = cell(memo["health_score"], health_cell, raw[at.health_score], errors)
        if at.owner >= 0:
            owner = cell(memo["owner"], owner_cell, raw[at.owner], errors)
        if at.region >= 0:
            region = cell(memo["region"], region_cell, raw[at.region], errors)
        if at.slack_channel >= 0:
            channel = cell(memo["slack_channel"], slack_channel_cell, raw[at.slack_channel], errors)
        if errors:
            return errors
        return AccountRow(
            line, name, key, acv, ext, domain, crit, strategic, health, owner, region, channel, self.present
        )


def header_layout(raw: list[str], line: int, result: ParseResult) -> Layout | None:
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for i, cell in enumerate(raw):
        col = cell.strip().lower()
        if not col:
            continue
        if col in positions:
            result.errors.append(RowError(line, f"column {col!r} appears twice in the header"))
            return None
        positions[col] = i
        if col not in COLUMNS:
            unknown.append(cell.strip())
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        found = ", ".join(c.strip() for c in raw if c.strip())[:200] or "nothing"
        result.errors.append(
            RowError(line, f"missing required column(s) {', '.join(missing)} in the header (found: {found})")
        )
        return None
    if unknown:
        result.notes.append(f"ignored unknown column(s): {', '.join(unknown)}")
    return Layout(**{c: i for c, i in positions.items() if c in COLUMNS})
