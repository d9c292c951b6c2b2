"""Reading ticket CSV files: header matching, records with their line numbers, and field parsers.

Parsers return a value or raise `BadValue` with a reason a support lead can act on; the importer
collects every reason of every row so one run shows everything wrong with a file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TextIO

from bot.text import storable
from storage.models.tickets import CSAT_MAX, CSAT_MIN

Progress = Callable[[int, int], None]  # (rows done, rows in the file); called once per batch
Source = Path | str | TextIO

SEVERITY_WORDS = {
    "sev1": "sev1", "sev2": "sev2", "sev3": "sev3", "sev4": "sev4",
    "urgent": "sev1", "high": "sev2", "normal": "sev3", "low": "sev4",
}  # fmt: skip
STATUS_WORDS = {
    "new": "new", "open": "open", "pending": "pending", "on-hold": "on-hold", "onhold": "on-hold",
    "hold": "on-hold", "solved": "solved", "closed": "closed",
}  # fmt: skip
_FOLD = re.compile(r"[\s_-]+")
EARLIEST_YEAR, LATEST_YEAR = 1990, 2100  # outside this, a timestamp is a typo, not a ticket


class BadValue(ValueError):
    """A field that cannot be used, with the reason."""


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # physical line in the file (header = 1)
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportKind(StrEnum):
    """What a file holds; the value is how reports name it."""

    TICKETS = "tickets"
    TICKET_EVENTS = "ticket events"


@dataclass
class ImportReport:
    """What an import found, filled in while it reads the file (`bot.tickets.service` returns it frozen
    as an `ImportResult`)."""

    kind: ImportKind
    dry_run: bool = False
    rows: int = 0  # data rows read, good or bad
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run and (self.created + self.updated) > 0


def header_key(name: str) -> str:
    """'First Response At' / 'first-response-at' / 'FIRST_RESPONSE_AT' -> 'first_response_at'."""
    return _FOLD.sub("_", name.replace("\ufeff", "").strip().casefold())


def count_lines(path: Path) -> int:
    """Newlines in the file, fast (a progress total; quoted multi-line fields make it an estimate)."""
    lines = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


@contextmanager
def open_source(source: Source) -> Iterator[tuple[TextIO, int]]:
    """The text stream (BOM dropped, universal newlines left to csv) and an estimated row count."""
    if isinstance(source, str | Path):
        path = Path(source)
        total = max(count_lines(path) - 1, 0)
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            yield fh, total
    else:
        yield source, 0


class _Reader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...
    def __next__(self) -> list[str]: ...


# Long subjects are cut by the importer, not refused by csv's 128 KiB field limit.
FIELD_LIMIT = 16 * 1024 * 1024


@dataclass
class Records:
    """CSV records as (line, {column: value}) for the columns the importer knows."""

    columns: dict[str, int]  # known column -> position
    reader: _Reader
    width: int

    def __iter__(self) -> Iterator[tuple[int, dict[str, str] | str]]:
        """(line, values), or (line, problem) for a record of the wrong shape; blank lines are skipped.
        A file that stops being readable CSV or UTF-8 raises `UnreadableFile`."""
        line = self.reader.line_num + 1
        while True:
            try:
                record = next(self.reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                raise UnreadableFile(RowError(line, f"cannot read the file from here on: {exc}")) from exc
            start, line = line, self.reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > self.width and any(cell.strip() for cell in record[self.width :]):
                yield start, f"{len(record)} fields where the header has {self.width}"
                continue
            if len(record) < self.width:
                record = record + [""] * (self.width - len(record))
            # storable: a NUL in a cell made PostgreSQL refuse the whole import with a driver error.
            yield start, {name: storable(record[pos]).strip() for name, pos in self.columns.items()}


class UnreadableFile(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


def read_records(
    stream: TextIO, required: tuple[str, ...], optional: tuple[str, ...], aliases: dict[str, str]
) -> tuple[Records | None, list[str], list[RowError]]:
    """Match the header row: (records, notes about ignored columns, header errors)."""
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return None, [], [RowError(1, "the file is empty (a header row is needed)")]
    except (csv.Error, UnicodeDecodeError) as exc:
        return None, [], [RowError(1, f"cannot read the header: {exc}")]
    known = set(required) | set(optional)
    columns: dict[str, int] = {}
    notes: list[str] = []
    errors: list[RowError] = []
    for pos, raw in enumerate(header):
        key = header_key(raw)
        key = aliases.get(key, key)
        if not key:
            continue
        if key not in known:
            notes.append(f"column {raw.strip()!r} is not used")
        elif key in columns:
            errors.append(RowError(1, f"column {key!r} appears twice"))
        else:
            columns[key] = pos
    missing = [c for c in required if c not in columns]
    if missing:
        errors.append(RowError(1, f"missing column(s): {', '.join(missing)} (header: {', '.join(header)})"))
    if errors:
        return None, notes, errors
    return Records(columns, reader, len(header)), notes, []


# -- field parsers ---------------------------------------------------------------------------------------


def parse_severity(value: str) -> str:
    found = SEVERITY_WORDS.get(_FOLD.sub("", value.casefold()))
    if found is None:
        raise BadValue(f"severity {value!r} is not sev1-sev4 or urgent/high/normal/low")
    return found


def parse_status(value: str) -> str:
    found = STATUS_WORDS.get(_FOLD.sub("-", value.strip().casefold()))
    if found is None:
        found = STATUS_WORDS.get(_FOLD.sub("", value.casefold()))
    if found is None:
        raise BadValue(f"status {value!r} is not one of new, open, pending, on-hold, solved, closed")
    return found


def parse_time(column: str, value: str, required: bool = False) -> datetime | None:
    if not value:
        if required:
            raise BadValue(f"{column} is empty")
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadValue(f"{column} {value!r} is not an ISO 8601 time like 2026-11-20T09:30:00Z") from None
    if parsed.tzinfo is None:
        raise BadValue(f"{column} {value!r} has no UTC offset; add one, e.g. {value}Z or {value}+09:00")
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise BadValue(f"{column} {value!r} is not between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return parsed


def parse_count(column: str, value: str) -> int:
    """A non-negative whole number; exports often write minutes as '12.0', so decimals are rounded."""
    if not value:
        return 0
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        raise BadValue(f"{column} {value!r} is not a number") from None
    if number != number or number < 0 or number > 2**31 - 1:  # NaN, negative or absurd
        raise BadValue(f"{column} {value!r} must be a number from 0")
    return round(number)


def parse_csat(value: str) -> int | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise BadValue(f"csat {value!r} is not a number") from None
    if number != int(number) or not CSAT_MIN <= number <= CSAT_MAX:
        raise BadValue(f"csat {value!r} must be a whole rating from {CSAT_MIN} to {CSAT_MAX}")
    return int(number)


def parse_text(column: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise BadValue(f"{column} is longer than {limit} characters")
    return value
