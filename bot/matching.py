"""Fuzzy account matching: exact ids and names first, then typo- and word-order-tolerant names.

Beneath the capabilities: `/tier` (accounts) and the decision modal's account picker (decisions) both
match names, and the accounts card shows the decisions that touch an account, so the matcher lives
below both rather than inside one of them (import-linter checks there is no cycle).

A full fuzzy scan of 100,000 names costs ~10 ms; instead each query token is matched against the
(much smaller) vocabulary of name tokens, and only accounts holding a near token are scored.

What answers outright (README, "How /tier matches"):
- an account's id, full domain or full name (case, accents, width, kana, punctuation folded);
- its name without legal forms ('acme' for 'Acme Corp') or a fuzzy match, but only when no other
  account has every word of the query in its name, or the query as its domain's first label: a word
  that several accounts share is a choice, whichever of them happens to drop to exactly that word;
- the one plausible candidate (score >= CANDIDATE) of a fuzzy query: its card says what was matched.
A query made only of legal-form words ('corp', 'inc', 'group') lists the accounts whose names hold them.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Set
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
    # How many accounts could be meant when that is more than the candidates listed (a common word).
    total: int = 0

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
    # Names without legal forms, where that differs from the name ('acme' for 'Acme Corp'): these answer
    # outright only when no other account holds the same words (see `match`).
    stripped: dict[str, int | tuple[int, ...]] = field(default_factory=dict)
    # A domain's first label ('google' of google.com) where it is not already a word of the account's
    # name: ~1 account in 10 of the bench's 100,000, so a few MB, not a second vocabulary.
    labels: dict[str, int | tuple[int, ...]] = field(default_factory=dict)
    # Legal-form words -> the accounts whose names hold them, shortest name first, as compact arrays
    # (4 bytes an id: 'corp' alone is in ~15% of the bench's names).
    common: dict[str, array[int]] = field(default_factory=dict)
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
        names = index.names
        for word, ids in index.common.items():
            index.common[word] = array("i", sorted(ids, key=lambda i: (len(names[i]), names[i], i)))
        return index

    def _add(self, entry: IndexEntry) -> None:
        aid = entry.account_id
        normalized = normalize(entry.name)
        key = fuzzy_key(entry.name, normalized)
        if key == normalized:
            key = normalized  # one string object instead of two equal ones
        self.names[aid] = entry.name
        self.keys[aid] = key
        exact_forms = {normalized}
        if entry.external_id:
            exact_forms.add(normalize(entry.external_id))
        if entry.domain:
            exact_forms.add(entry.domain.casefold())
        for form in exact_forms:
            if form:
                _hold(self.exact, form, aid)
        if key != normalized and key not in exact_forms:
            _hold(self.stripped, key, aid)
        tokens = _index_tokens(key)
        for token in tokens:
            self.postings.setdefault(token, set()).add(aid)
        if entry.domain:
            label = _domain_label(entry.domain)
            if label and not set(label.split()) <= tokens:
                _hold(self.labels, label, aid)
        for word in set(normalized.split()) & STOPWORDS:
            self.common.setdefault(word, array("i")).append(aid)

    def __len__(self) -> int:
        return len(self.names)

    def match(self, query: str, limit: int = 5) -> Match:
        norm = normalize(query)
        if not norm:
            return Match(MatchKind.NONE)
        for form in (query.strip().casefold(), norm):
            held = self.exact.get(form)
            if held is not None:
                return self._held(_ids(held), limit)
        words = norm.split()
        if all(word in STOPWORDS for word in words):
            return self._common(words, limit)
        key = fuzzy_key(query, norm)
        label = self.labels.get(norm) or (self.labels.get(key) if key != norm else None)
        labelled = _ids(label) if label is not None else ()
        holders = self._holders(key, labelled)
        stripped = self.stripped.get(key)
        if stripped is not None:
            ids = _ids(stripped)
            if len(holders) <= len(ids) and all(i in ids for i in holders):
                return self._held(ids, limit)  # no other account holds these words: as exact as a name
        elif not holders:
            return self._fuzzy(key, limit)  # the common case of a typo or nothing: no extra work
        fuzzy = self._fuzzy(key, limit)
        return self._choose(key, fuzzy, _ids(stripped) if stripped else (), holders, labelled, limit)

    def _held(self, ids: tuple[int, ...], limit: int) -> Match:
        cands = tuple(Candidate(i, self.names[i], 100.0) for i in dict.fromkeys(ids))
        if len(cands) == 1:
            return Match(MatchKind.EXACT, cands)
        return Match(MatchKind.AMBIGUOUS, cands[: max(limit, 10)])

    def _holders(self, key: str, labelled: tuple[int, ...]) -> Set[int]:
        """Accounts with every word of the query in their name, or the query as their domain's first
        label. Exact words only: a set intersection in C, ~1 µs unless every word is common."""
        postings = [self.postings.get(token) for token in key.split()]
        found: Set[int]
        if not postings or any(p is None for p in postings):
            found = frozenset()
        elif len(postings) == 1:
            found = postings[0] or frozenset()  # the posting itself, never mutated
        else:
            smallest, *others = sorted((p for p in postings if p is not None), key=len)
            found = smallest.intersection(*others)
        if labelled:
            found = set(found) | set(labelled)
        return found

    def _choose(
        self,
        key: str,
        fuzzy: Match,
        stripped: tuple[int, ...],
        holders: Set[int],
        labelled: tuple[int, ...],
        limit: int,
    ) -> Match:
        """Several accounts may hold the query's words (or its domain label): one answers outright only
        if it is the only plausible one; otherwise the fuzzy ranking orders the choice. `holders` can be
        a 5,000-account posting ('data'): it is counted and probed, never copied or sorted."""
        ranked = fuzzy.candidates if fuzzy.kind in (MatchKind.FUZZY, MatchKind.AMBIGUOUS) else ()
        close = [c for c in ranked if c.score >= CANDIDATE]
        extra = {i for i in stripped if i not in holders}
        extra.update(c.account_id for c in close if c.account_id not in holders)
        total = len(holders) + len(extra)
        if total == 1:
            only = next(iter(extra or holders))
            found = next((c for c in close if c.account_id == only), None)
            return Match(MatchKind.FUZZY, (found or Candidate(only, self.names[only], 100.0),))
        listed: dict[int, float] = {i: 100.0 for i in stripped}
        for c in close:
            listed.setdefault(c.account_id, c.score)
        for i in holders:
            if len(listed) >= limit:
                break
            if i not in listed:
                # Not in the fuzzy ranking: a domain label (as good as the name) or beyond its top.
                listed[i] = 100.0 if i in labelled else float(fuzz.WRatio(key, self.keys[i]))
        cands = tuple(Candidate(i, self.names[i], score) for i, score in list(listed.items())[:limit])
        return Match(MatchKind.AMBIGUOUS, cands, total)

    def _common(self, words: list[str], limit: int) -> Match:
        """A query of legal-form words only ('corp', 'the group'): the accounts whose names hold them
        all, shortest names first, rather than 'no account matches'."""
        arrays = [self.common.get(word) for word in dict.fromkeys(words)]
        if any(a is None for a in arrays):
            return Match(MatchKind.NONE)
        first, *others = sorted((a for a in arrays if a is not None), key=len)
        if others:
            within = set(others[0]).intersection(*others[1:])
            ids = [i for i in first if i in within]
            total = len(ids)
        else:
            ids, total = list(first[: max(limit, 10)]), len(first)
        if not ids:
            return Match(MatchKind.NONE)
        cands = tuple(Candidate(i, self.names[i], 100.0) for i in ids[: max(limit, 10)])
        if total == 1:
            return Match(MatchKind.FUZZY, cands)
        return Match(MatchKind.AMBIGUOUS, cands, total)

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
        if len(close) == 1:
            # One plausible account: its card, saying what was matched, not a "choice" of one.
            return Match(MatchKind.FUZZY, close)
        if close:
            return Match(MatchKind.AMBIGUOUS, close)
        return Match(MatchKind.NONE, tuple(ranked[:3]))


def _hold(forms: dict[str, int | tuple[int, ...]], form: str, aid: int) -> None:
    held = forms.get(form)
    if held is None:
        forms[form] = aid
    elif isinstance(held, int):
        if held != aid:
            forms[form] = (held, aid)
    elif aid not in held:
        forms[form] = (*held, aid)


def _ids(held: int | tuple[int, ...]) -> tuple[int, ...]:
    return (held,) if isinstance(held, int) else held


def _domain_label(domain: str) -> str:
    """The label that names the company: 'google' of www.google.co.uk, normalised like a name."""
    labels = domain.casefold().split(".")
    if labels and labels[0] == "www":
        labels = labels[1:]
    return normalize(labels[0]) if len(labels) > 1 else ""
