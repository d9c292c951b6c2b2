"""An accounts CSV as a file, before any row is parsed: the size limit and the UTF-8 check in one
streaming pass (`scan`), emptiness, NUL bytes, and lines of text already in memory."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Iterator

from bot.accounts.csv_rows import RowError
from bot.text import storable


def lines_of(text: str) -> Iterator[str]:
    """The text's lines with their endings, without a copy of the whole text: io.StringIO would keep
    a second, four-bytes-a-character buffer of a file with any non-Latin name in it."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


SCAN_CHUNK = 1 << 20  # bytes per read while checking the encoding: constant memory whatever the size


class FileTooLarge(ValueError):
    """The file is over the configured limit (IMPORT_MAX_BYTES)."""


def scan(path: str | os.PathLike[str], max_bytes: int | None) -> tuple[int, RowError | None]:
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


def nul_free(lines: Iterable[str]) -> Iterator[str]:
    # Stripped per line before the csv module sees it: one `in` test a line (~50 ns), not one per cell.
    for line in lines:
        yield storable(line)


def has_text(path: str | os.PathLike[str]) -> bool:
    """Whether the file holds anything but whitespace (and a BOM), reading only until it does."""
    with open(path, encoding="utf-8-sig") as fh:
        while chunk := fh.read(SCAN_CHUNK):
            if chunk.strip():
                return True
    return False
