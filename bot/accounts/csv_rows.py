"""Reading an accounts CSV into validated rows, with every problem tied to its physical line number.

Nothing here touches the database. `iter_account_rows` streams: a 435,000-row, 50 MB file is never
held whole (as text, 100 MB; as parsed rows, ~400 MB), and duplicates across the file are tracked as
hashes (`FileDuplicates`), then named exactly from a second read of the few suspect lines.
`read_account_rows` collects every row (tests, small files).
"""

from __future__ import annotations

import codecs
import csv
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
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
from bot.text import storable

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


SCAN_CHUNK = 1 << 20  # bytes per read while checking the encoding: constant memory whatever the size


class FileTooLarge(ValueError):
    """The file is over the configured limit (IMPORT_MAX_BYTES)."""


def _scan(path: str | os.PathLike[str], max_bytes: int | None) -> tuple[int, RowError | None]:
    """(lines, problem): the size limit and the UTF-8 check in one streaming pass over the bytes, so a
    bad byte is reported with its line before anything is parsed, without holding the file."""
    try:
        size = os.path.getsize(path)
        if max_bytes is not None and size > max_bytes:
            return 0, RowError(None, too_large(size, max_bytes))
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines, offset, last = 0, 0, b""
        with open(path, "rb") as fh:
            while chunk := fh.read(SCAN_CHUNK):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    # exc.start counts from the decoder's buffered tail plus this chunk.
                    held = len(exc.object) - len(chunk)
                    at = offset - held + exc.start
                    before = exc.object[: exc.start]
                    line = lines + before.count(b"\n") - exc.object[:held].count(b"\n") + 1
                    return 0, RowError(
                        line,
                        f"the file is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {at}); "
                        "save it as 'CSV UTF-8' and try again",
                    )
                lines += chunk.count(b"\n")
                offset += len(chunk)
                last = chunk[-1:]
            decoder.decode(b"", final=True)
    except OSError as exc:
        return 0, RowError(None, f"cannot read {os.fspath(path)}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        return 0, RowError(
            lines + 1, "the file is not UTF-8 (it ends inside a character); save it as 'CSV UTF-8'"
        )
    return lines + (1 if last and last != b"\n" else 0), None


def too_large(size: int, limit: int) -> str:
    return (
        f"the file is {size / 1e6:,.1f} MB, over the import limit of {limit / 1e6:,.1f} MB "
        "(IMPORT_MAX_BYTES); split it, or raise IMPORT_MAX_BYTES"
    )


def _nul_free(lines: Iterable[str]) -> Iterator[str]:
    # Stripped per line before the csv module sees it: one `in` test a line (~50 ns), not one per cell.
    for line in lines:
        yield storable(line)


def iter_account_rows(
    source: str | os.PathLike[str] | TextIO,
    result: ParseResult,
    progress: ProgressFn | None = None,
    max_bytes: int | None = None,
) -> Iterator[AccountRow]:
    """Every valid row, streamed; problems (bad rows with their line, file problems) go to
    `result.errors`, notes to `result.notes`. Duplicates across rows are not checked here (see
    `FileDuplicates`)."""
    if isinstance(source, str | os.PathLike):
        total_lines, problem = _scan(source, max_bytes)
        if problem is not None:
            result.errors.append(problem)
            return
        if total_lines == 0 or not _has_text(source):
            result.errors.append(
                RowError(None, "the file is empty; expected a header line such as 'name,acv'")
            )
            return
        with open(source, encoding="utf-8-sig", newline="") as handle:
            yield from _parse(result, csv.reader(_nul_free(handle), strict=True), total_lines, progress)
        return
    try:
        text = source.read()
    except UnicodeDecodeError as exc:
        result.errors.append(
            RowError(None, f"the file is not UTF-8 ({exc.reason}); save it as 'CSV UTF-8' and try again")
        )
        return
    if max_bytes is not None and len(text.encode()) > max_bytes:
        result.errors.append(RowError(None, too_large(len(text.encode()), max_bytes)))
        return
    text = text.removeprefix("\ufeff")
    if not text.strip():
        result.errors.append(RowError(None, "the file is empty; expected a header line such as 'name,acv'"))
        return
    total_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    yield from _parse(result, csv.reader(_nul_free(_lines(text)), strict=True), total_lines, progress)


def _has_text(path: str | os.PathLike[str]) -> bool:
    """Whether the file holds anything but whitespace (and a BOM), reading only until it does."""
    with open(path, encoding="utf-8-sig") as fh:
        while chunk := fh.read(SCAN_CHUNK):
            if chunk.strip():
                return True
    return False


def read_account_rows(
    source: str | os.PathLike[str] | TextIO, progress: ProgressFn | None = None
) -> ParseResult:
    """Parse and validate every row, duplicates included; problems are returned, never raised."""
    result = ParseResult()
    result.rows.extend(iter_account_rows(source, result, progress))
    if not result.errors or result.rows:
        _check_duplicates(result)
    return result


class FileDuplicates:
    """Which rows may repeat an external_id, or a name where one of them has no external_id, across a
    file streamed in chunks: 64-bit hashes in sets (~60 bytes a row, against ~400 for a kept row).

    `suspicious` turns true at the first possible repeat, before the row's chunk is written; a hash can
    collide, so `errors` re-reads the suspect lines and names the real duplicates exactly as
    `_check_duplicates` does for a whole file.
    """

    def __init__(self) -> None:
        self._ext: set[int] = set()  # hash(external_id) of every row that has one
        self._key: set[int] = set()  # hash(name_key) of every row
        self._key_no_ext: set[int] = set()  # hash(name_key) of rows without an external_id
        self._hashes: set[int] = set()  # the hashes that repeat

    @property
    def suspicious(self) -> bool:
        return bool(self._hashes)

    def add(self, row: AccountRow) -> None:
        key = hash(row.name_key)
        # A name repeats harmfully only if one of the rows has no external_id to tell them apart.
        if key in self._key and (row.external_id is None or key in self._key_no_ext):
            self._hashes.add(key)
        self._key.add(key)
        if row.external_id is None:
            self._key_no_ext.add(key)
            return
        ext = hash(row.external_id)
        if ext in self._ext:
            self._hashes.add(ext)
        self._ext.add(ext)

    def errors(self, rows: Iterable[AccountRow]) -> list[RowError]:
        """The duplicate errors, given every row of the file whose key or id hash repeats (read again)."""
        suspects = ParseResult(
            rows=[
                r
                for r in rows
                if hash(r.name_key) in self._hashes
                or (r.external_id is not None and hash(r.external_id) in self._hashes)
            ]
        )
        _check_duplicates(suspects)
        return suspects.errors


def _parse(
    result: ParseResult, reader: Any, total_lines: int, progress: ProgressFn | None
) -> Iterator[AccountRow]:
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
            return
        result.columns = layout.present
        validate = RowValidator(layout)
        width, name_at = len(raw), layout.name
        errors = result.errors
        valid = 0
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
                valid += 1
                yield checked
            else:
                errors.extend(RowError(line, msg) for msg in checked)
            if progress is not None and result.records % PROGRESS_EVERY == 0:
                progress("read", end_of_previous, total_lines)
    except csv.Error as exc:
        result.errors.append(RowError(end_of_previous + 1, _csv_problem(str(exc))))
        return
    if not valid and not result.errors:
        result.notes.append("the file has a header but no rows")
    if progress is not None:
        progress("read", total_lines, total_lines)


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
