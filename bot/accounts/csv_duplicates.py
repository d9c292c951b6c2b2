"""Duplicates across an accounts CSV: an external_id on two rows, or a name on two rows where one has
no external_id to tell them apart. `check_duplicates` for rows held in memory; `FileDuplicates` for a
file streamed in chunks (hashes, then the suspect lines read again)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from bot.accounts.csv_rows import AccountRow, ParseResult, RowError


class FileDuplicates:
    """Which rows may repeat an external_id, or a name where one of them has no external_id, across a
    file streamed in chunks: 64-bit hashes in sets (~60 bytes a row, against ~400 for a kept row).

    `suspicious` turns true at the first possible repeat, before the row's chunk is written; a hash can
    collide, so `errors` re-reads the suspect lines and names the real duplicates exactly as
    `check_duplicates` does for a whole file.
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
        check_duplicates(suspects)
        return suspects.errors


def check_duplicates(result: ParseResult) -> None:
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
