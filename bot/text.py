"""Text hygiene shared by every surface: normalising names and cleaning user input. (Escaping mrkdwn
is Slack formatting: `bot.views.format.escape_mrkdwn`.)"""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACE = re.compile(r"\s+")
# Combining marks of Latin and Greek/Cyrillic scripts; kana voicing marks are meaningful and kept.
_LATIN_MARKS = re.compile(r"[\u0300-\u036f]")


# What PostgreSQL cannot store in a text column: NUL ("invalid byte sequence for encoding UTF8: 0x00")
# and surrogate code points, which only arrive unpaired (a paired one is decoded to one character) and
# cannot be encoded as UTF-8 at all. SQLite keeps both, so without this a record saved in tests fails
# in production.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` without the characters a database text column refuses (NUL, lone surrogates); the rest
    is kept exactly as typed. For every free text that is stored: modal inputs, CSV cells, synced rows."""
    if text.isascii() and "\x00" not in text:  # nearly every cell of a 435,000-row import: skip the regex
        return text
    return _UNSTORABLE.sub("", text)


def clean_input(text: str | None, limit: int = MAX_QUERY_CHARS) -> str:
    """User text with control characters removed, whitespace folded and length capped."""
    if not text:
        return ""
    text = _CONTROL.sub("", text)
    text = _SPACE.sub(" ", text).strip()
    return text[:limit]


def _hiragana_to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def normalize(text: str) -> str:
    """Case-, accent-, width- and kana-insensitive form of a name: 'Ａｃｍé  Corp.' -> 'acme corp'."""
    if text.isascii():  # most names: skip the Unicode passes (5x faster index builds)
        return _SPACE.sub(" ", _PUNCT.sub(" ", text.lower())).strip()
    text = unicodedata.normalize("NFKC", text).casefold()
    text = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)))
    text = _hiragana_to_katakana(text)
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    return text if len(text) <= limit else text[: max(0, limit - len(ellipsis))] + ellipsis


CJK_CHAR = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xAC00 <= code <= 0xD7AF  # hangul
        or 0xF900 <= code <= 0xFAFF
    )


# Row ids are 32-bit integers in PostgreSQL: a larger number in a payload is no row of ours, and
# passing it on makes the database refuse the query (which the user would read as an outage).
MAX_ROW_ID = 2**31 - 1


def as_row_id(value: object) -> int | None:
    """A positive database id from payload text ('42'), or None for anything else ('x', '0', '9' * 20)."""
    text = value.strip() if isinstance(value, str) else ""
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ROW_ID else None
