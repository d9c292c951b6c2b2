"""Reading an accounts CSV into validated rows (`csv_rows.py` says what a row is).

`iter_account_rows` streams: a 435,000-row, 50 MB file is never held whole (as text, 100 MB; as parsed
rows, ~400 MB), and duplicates across the file are tracked as hashes (`csv_duplicates.FileDuplicates`),
then named exactly from a second read of the few suspect lines. `read_account_rows` collects every row
(tests, small files).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from typing import Any, TextIO

from bot.accounts.csv_duplicates import check_duplicates
from bot.accounts.csv_file import has_text, lines_of, nul_free, scan, too_large
from bot.accounts.csv_rows import (
    AccountRow,
    Layout,
    ParseResult,
    ProgressFn,
    RowError,
    RowValidator,
    header_layout,
)

PROGRESS_EVERY = 2000  # records between progress calls


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
        total_lines, problem = scan(source, max_bytes)
        if problem is not None:
            result.errors.append(problem)
            return
        if total_lines == 0 or not has_text(source):
            result.errors.append(
                RowError(None, "the file is empty; expected a header line such as 'name,acv'")
            )
            return
        with open(source, encoding="utf-8-sig", newline="") as handle:
            yield from _parse(result, csv.reader(nul_free(handle), strict=True), total_lines, progress)
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
    yield from _parse(result, csv.reader(nul_free(lines_of(text)), strict=True), total_lines, progress)


def read_account_rows(
    source: str | os.PathLike[str] | TextIO, progress: ProgressFn | None = None
) -> ParseResult:
    """Parse and validate every row, duplicates included; problems are returned, never raised."""
    result = ParseResult()
    result.rows.extend(iter_account_rows(source, result, progress))
    if not result.errors or result.rows:
        check_duplicates(result)
    return result


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
            layout = header_layout(raw, line, result)
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
