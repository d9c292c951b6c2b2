"""Fuzzy account matching: exact ids and names first, then typo- and word-order-tolerant names.

Beneath the capabilities: `/tier` (accounts) and the decision modal's account picker (decisions) both
match names, and the accounts card shows the decisions that touch an account, so the matcher lives
below both rather than inside one of them (import-linter checks there is no cycle).

A full fuzzy scan of 100,000 names costs ~10 ms; instead each query token is matched against the
(much smaller) vocabulary of name tokens, and only accounts holding a near token are scored.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz, process

from bot.text import CJK_CHAR, is_cjk, normalize

# Legal-form words say nothing about which company is meant.
STOPWORDS = frozenset(
    "inc incorporated corp corporation co company ltd limited llc llp plc gmbh ag sa sas srl bv nv kk "  # noqa: SIM905
    "pty oy ab as group holdings the and of 株式会社 有限会社 合同会社 カブシキガイシャ".split()
)
# CJK names carry their legal form without a space ('アクメ株式会社'), so those are stripped as affixes.
CJK_STOPWORDS = tuple(w for w in STOPWORDS if is_cjk(w[0]))
STRONG = 90.0  # a single candidate at or above this, clear of the next, is the answer
GAP = 6.0
CANDIDATE = 72.0  # shown as "did you mean" choices
SUGGEST = 50.0  # nearest suggestions when nothing matches
TOKEN_CUTOFF = 70.0
RESCORE = 64  # candidates rescored with WRatio after a cheap first pass
NEAR_CACHE_SIZE = 50_000  # query tokens remembered with their near vocabulary tokens


class MatchKind(StrEnum):
    EXACT = "exact"
    FUZZY = "fuzzy"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True)
class Candidate:
    account_id: int
    name: str
    score: float


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    candidates: tuple[Candidate, ...] = ()

    @property
    def account_id(self) -> int | None:
        if self.kind in (MatchKind.EXACT, MatchKind.FUZZY):
            return self.candidates[0].account_id
        return None


@dataclass(frozen=True)
class IndexEntry:
    account_id: int
    name: str
    external_id: str | None = None
    domain: str | None = None


def fuzzy_key(name: str, normalized: str | None = None) -> str:
    """Normalised name without legal-form words, tokens sorted so word order does not matter."""
    normalized = normalize(name) if normalized is None else normalized
    tokens = [t for t in _split(normalized) if t not in STOPWORDS]
    return " ".join(sorted(tokens)) if tokens else normalized


def _split(normalized: str) -> list[str]:
    out: list[str] = []
    for token in normalized.split():
        if not token.isascii() and is_cjk(token[0]):
            for word in CJK_STOPWORDS:
                if len(token) > len(word):
                    if token.startswith(word):
                        token = token[len(word) :]
                    elif token.endswith(word):
                        token = token[: -len(word)]
        out.append(token)
    return out


def _index_tokens(key: str) -> set[str]:
    tokens = set(key.split())
    if key.isascii():
        return tokens
    # CJK names have no spaces between words: character bigrams stand in for tokens.
    for token in list(tokens):
        if len(token) > 2 and CJK_CHAR.search(token):
            tokens.update(token[i : i + 2] for i in range(len(token) - 1))
    return tokens


@dataclass
class AccountIndex:
    """In-memory index over every account's identifiers and names; rebuilt when accounts change."""

    names: dict[int, str] = field(default_factory=dict)
    keys: dict[int, str] = field(default_factory=dict)
    # One id, or a tuple when several accounts share the form: 250k one-element lists cost ~16 MB.
    exact: dict[str, int | tuple[int, ...]] = field(default_factory=dict)
    postings: dict[str, set[int]] = field(default_factory=dict)
    # Name tokens by length, so a query token is only compared with tokens long or short enough to
    # reach TOKEN_CUTOFF (rapidfuzz pays ~100 ns per choice even when the length alone rules it out).
    vocabulary: list[str] = field(default_factory=list)
    vocabulary_lengths: list[int] = field(default_factory=list)
    # Each token's place in first-seen order: ties on score are broken by it, as when the whole
    # vocabulary was scored in that order.
    vocabulary_positions: list[int] = field(default_factory=list)
    # Query token -> its near vocabulary tokens. Agents type the same words again and again; the
    # index is immutable once built (a change builds a new one), so entries never go stale.
    _near: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: Iterable[IndexEntry]) -> AccountIndex:
        index = cls()
        for entry in entries:
            index._add(entry)
        by_length = sorted(enumerate(index.postings), key=lambda pair: len(pair[1]))
        index.vocabulary = [token for _, token in by_length]
        index.vocabulary_lengths = [len(token) for token in index.vocabulary]
        index.vocabulary_positions = [position for position, _ in by_length]
        return index

    def _add(self, entry: IndexEntry) -> None:
        aid = entry.account_id
        normalized = normalize(entry.name)
        key = fuzzy_key(entry.name, normalized)
        if key == normalized:
            key = normalized  # one string object instead of two equal ones
        self.names[aid] = entry.name
        self.keys[aid] = key
        exact_forms = {normalized, key}
        if entry.external_id:
            exact_forms.add(normalize(entry.external_id))
        if entry.domain:
            exact_forms.add(entry.domain.casefold())
        exact = self.exact
        for form in exact_forms:
            if not form:
                continue
            held = exact.get(form)
            if held is None:
                exact[form] = aid
            elif isinstance(held, int):
                exact[form] = (held, aid)
            else:
                exact[form] = (*held, aid)
        for token in _index_tokens(key):
            self.postings.setdefault(token, set()).add(aid)

    def __len__(self) -> int:
        return len(self.names)

    def match(self, query: str, limit: int = 5) -> Match:
        norm = normalize(query)
        if not norm:
            return Match(MatchKind.NONE)
        for form in (query.strip().casefold(), norm, fuzzy_key(query)):
            held = self.exact.get(form)
            if held is not None:
                ids = (held,) if isinstance(held, int) else held
                cands = tuple(Candidate(i, self.names[i], 100.0) for i in dict.fromkeys(ids))
                if len(cands) == 1:
                    return Match(MatchKind.EXACT, cands)
                return Match(MatchKind.AMBIGUOUS, cands[: max(limit, 10)])
        return self._fuzzy(fuzzy_key(query), limit)

    def _candidate_ids(self, key: str) -> set[int]:
        """Accounts holding a near match of every query token (or of as many as possible).

        The token with the fewest accounts seeds the set; the others only filter it, so common words
        ('systems', 'data') never materialise their thousands of accounts.
        """
        groups: list[tuple[int, list[set[int]]]] = []
        for token in _index_tokens(key):
            postings = [self.postings[vocab_token] for vocab_token in self._near_tokens(token)]
            if postings:
                groups.append((sum(len(p) for p in postings), postings))
        if not groups:
            return set()
        groups.sort(key=lambda g: g[0])
        candidates: set[int] = set().union(*groups[0][1])
        for _size, postings in groups[1:]:
            narrowed: set[int] = set()
            for posting in postings:
                narrowed |= candidates & posting  # C-level, walks the smaller of the two sets
            if not narrowed:
                break  # a token that matches nothing alongside the others is probably the typo
            candidates = narrowed
        return candidates

    def _near_tokens(self, token: str) -> tuple[str, ...]:
        """The (up to five) vocabulary tokens nearest `token` with fuzz.ratio >= TOKEN_CUTOFF."""
        near = self._near.get(token)
        if near is not None:
            return near
        # ratio = 2·matches / (len_a + len_b) cannot exceed 2·min / (len_a + len_b): lengths outside
        # [n·c / (2 - c), n·(2 - c) / c] for cutoff c cannot reach it, whatever the characters.
        c = TOKEN_CUTOFF / 100
        n = len(token)
        lo = bisect_left(self.vocabulary_lengths, math.ceil(n * c / (2 - c) - 1e-9))
        hi = bisect_right(self.vocabulary_lengths, math.floor(n * (2 - c) / c + 1e-9))
        found = process.extract(
            token, self.vocabulary[lo:hi], scorer=fuzz.ratio, score_cutoff=TOKEN_CUTOFF, limit=None
        )
        positions = self.vocabulary_positions
        found.sort(key=lambda hit: (-hit[1], positions[lo + hit[2]]))
        near = tuple(vocab_token for vocab_token, _score, _ in found[:5])
        if len(self._near) >= NEAR_CACHE_SIZE:
            self._near.clear()  # crude, but bounded; a hot set refills within seconds
        self._near[token] = near
        return near

    def _fuzzy(self, key: str, limit: int) -> Match:
        ids = self._candidate_ids(key)
        if not ids:
            return Match(MatchKind.NONE)
        id_list = list(ids)
        keys = [self.keys[i] for i in id_list]
        if len(id_list) > RESCORE:
            # Plain ratio on token-sorted keys is ~10x cheaper than WRatio; it picks who gets rescored.
            rough = process.extract(key, keys, scorer=fuzz.ratio, limit=RESCORE)
            id_list = [id_list[pos] for _, _, pos in rough]
            keys = [keys[pos] for _, _, pos in rough]
        scored = process.extract(key, keys, scorer=fuzz.WRatio, score_cutoff=SUGGEST, limit=limit + 1)
        ranked = [Candidate(id_list[pos], self.names[id_list[pos]], score) for _, score, pos in scored]
        if not ranked:
            return Match(MatchKind.NONE)
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        if best.score >= STRONG and best.score - runner_up >= GAP:
            return Match(MatchKind.FUZZY, (best,))
        close = tuple(c for c in ranked if c.score >= CANDIDATE)[:limit]
        if close:
            return Match(MatchKind.AMBIGUOUS, close)
        return Match(MatchKind.NONE, tuple(ranked[:3]))
