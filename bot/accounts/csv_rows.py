"""Reading an accounts CSV into validated rows, with every problem tied to its physical line number.

Nothing here touches the database: the whole file is parsed and checked first so that an import can
refuse a bad file before writing anything, and so that 100,000 rows cost no query each.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

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
PROGRESS_EVERY = 2000


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


def _read_text(source: str | os.PathLike[str] | TextIO) -> tuple[str, RowError | None]:
    """The file's text, or ("", the problem) when it cannot be read or decoded."""
    if isinstance(source, str | os.PathLike):
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            return "", RowError(None, f"cannot read {os.fspath(source)}: {exc.strerror or exc}")
        try:
            return data.decode("utf-8-sig"), None
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            return "", RowError(
                line,
                f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                "save it as 'CSV UTF-8' and try again",
            )
    try:
        text = source.read()
    except UnicodeDecodeError as exc:
        return "", RowError(
            None, f"the file is not UTF-8 ({exc.reason}); save it as 'CSV UTF-8' and try again"
        )
    return text.removeprefix("\ufeff"), None


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their endings, without a copy of the whole text: io.StringIO would keep
    a second, four-bytes-a-character buffer of a file with any non-Latin name in it."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def _header(raw: list[str], line: int, result: ParseResult) -> Layout | None:
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


def read_account_rows(
    source: str | os.PathLike[str] | TextIO, progress: ProgressFn | None = None
) -> ParseResult:
    """Parse and validate every row; problems are returned, never raised."""
    result = ParseResult()
    text, problem = _read_text(source)
    if problem is not None:
        result.errors.append(problem)
        return result
    if not text.strip():
        result.errors.append(RowError(None, "the file is empty; expected a header line such as 'name,acv'"))
        return result
    total_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    lines: Iterable[str] = _lines(text)
    if isinstance(source, str | os.PathLike):
        # The text was decoded once to find encoding problems up front; the rows are read from the
        # file again so that the whole text is not held next to 100,000 parsed rows.
        del text
        handle = open(source, encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed below)
        lines = handle
    try:
        return _parse(result, csv.reader(lines, strict=True), total_lines, progress)
    finally:
        if isinstance(lines, io.TextIOBase):
            lines.close()


def _parse(result: ParseResult, reader: Any, total_lines: int, progress: ProgressFn | None) -> ParseResult:
    layout: Layout | None = None
    end_of_previous = 0
    try:
        for raw in reader:
            line, end_of_previous = end_of_previous + 1, reader.line_num
            if not "".join(raw).strip():
                continue  # blank lines before the header
            if line != 1:
                result.notes.append(f"the header is on line {line}; blank lines before it were skipped")
            layout = _header(raw, line, result)
            break
        if layout is None:
            if not result.errors:
                result.errors.append(RowError(None, "the file has no header line"))
            return result
        result.columns = layout.present
        validate = RowValidator(layout)
        width, name_at = len(raw), layout.name
        rows, errors = result.rows, result.errors
        for raw in reader:
            # A quoted value may span lines: the record starts just after the previous one ended.
            line, end_of_previous = end_of_previous + 1, reader.line_num
            if (len(raw) != width or not raw[name_at]) and not "".join(raw).strip():
                continue  # blank lines and spreadsheet rows of empty cells
            result.records += 1
            if len(raw) != width:
                errors.append(RowError(line, f"expected {width} fields as in the header, found {len(raw)}"))
                continue
            checked = validate(line, raw)
            if isinstance(checked, AccountRow):
                rows.append(checked)
            else:
                errors.extend(RowError(line, msg) for msg in checked)
            if progress is not None and result.records % PROGRESS_EVERY == 0:
                progress("read", end_of_previous, total_lines)
    except csv.Error as exc:
        result.errors.append(RowError(end_of_previous + 1, _csv_problem(str(exc))))
        return result
    if not result.rows and not result.errors:
        result.notes.append("the file has a header but no rows")
    _check_duplicates(result)
    if progress is not None:
        progress("read", total_lines, total_lines)
    return result


def _csv_problem(message: str) -> str:
    if "unexpected end of data" in message or "EOF" in message:
        return 'a quoted value starting on this line never closes (unbalanced ")'
    if "field larger than field limit" in message:
        return (
            f"a value longer than {csv.field_size_limit():,} characters starts here "
            "(often a quoted value that never closes)"
        )
    if "expected after" in message:
        return f'malformed quoting: text follows a closing " ({message})'
    return f"malformed CSV: {message}"


def _check_duplicates(result: ParseResult) -> None:
    """External ids must be unique in the file; rows without one are identified by name instead."""
    id_count = Counter(r.external_id for r in result.rows if r.external_id is not None)
    key_count = Counter(r.name_key for r in result.rows)
    id_clash = {k for k, n in id_count.items() if n > 1}
    # A row without external_id is matched by name, so another row of that name makes it ambiguous.
    key_clash = {k for k, n in key_count.items() if n > 1}
    suspects = [
        r
        for r in result.rows
        if r.external_id in id_clash or (r.external_id is None and r.name_key in key_clash)
    ]
    if not suspects:
        return
    lines_by_id: dict[str, list[int]] = {}
    lines_by_key: dict[str, list[int]] = {}
    for r in result.rows:
        if r.external_id in id_clash:
            lines_by_id.setdefault(r.external_id, []).append(r.line)
        if r.name_key in key_clash:
            lines_by_key.setdefault(r.name_key, []).append(r.line)
    for r in suspects:
        if r.external_id is not None:
            others = ", ".join(str(n) for n in lines_by_id[r.external_id] if n != r.line)
            result.errors.append(RowError(r.line, f"external_id {r.external_id!r} is also on line {others}"))
        else:
            others = ", ".join(str(n) for n in lines_by_key[r.name_key] if n != r.line)
            result.errors.append(
                RowError(
                    r.line,
                    f"name {r.name!r} is also on line {others}; "
                    "give each an external_id, or remove the duplicate",
                )
            )
    bad = {r.line for r in suspects}
    result.rows = [r for r in result.rows if r.line not in bad]
    result.errors.sort(key=lambda e: e.line or 0)
