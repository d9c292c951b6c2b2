"""Fuzzy account matching: exact ids and names first, then typo- and word-order-tolerant names.

A full fuzzy scan of 100,000 names costs ~10 ms; instead each query token is matched against the
(much smaller) vocabulary of name tokens, and only accounts holding a near token are scored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from rapidfuzz import fuzz, process

from bot.text import is_cjk, normalize

# Legal-form words say nothing about which company is meant.
STOPWORDS = frozenset(
    [
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "llp",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "srl",
        "bv",
        "nv",
        "kk",
        "pty",
        "oy",
        "ab",
        "as",
        "group",
        "holdings",
        "the",
        "and",
        "of",
        "株式会社",
        "有限会社",
        "合同会社",
        "カブシキガイシャ",
    ]
)
STRONG = 90.0  # a single candidate at or above this, clear of the next, is the answer
GAP = 6.0
CANDIDATE = 72.0  # shown as "did you mean" choices
SUGGEST = 50.0  # nearest suggestions when nothing matches
TOKEN_CUTOFF = 70.0
MAX_POSTING = 5000  # tokens shared by more accounts than this do not narrow anything


class MatchKind(Enum):
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


def fuzzy_key(name: str) -> str:
    """Normalised name without legal-form words, tokens sorted so word order does not matter."""
    tokens = [t for t in _split(normalize(name)) if t not in STOPWORDS]
    return " ".join(sorted(tokens)) if tokens else normalize(name)


def _split(normalized: str) -> list[str]:
    out: list[str] = []
    for token in normalized.split():
        # CJK names have no spaces: strip a leading/trailing legal form so 'アクメ株式会社' keys as 'アクメ'.
        for word in STOPWORDS:
            if len(token) > len(word) and is_cjk(word[0]):
                if token.startswith(word):
                    token = token[len(word) :]
                elif token.endswith(word):
                    token = token[: -len(word)]
        out.append(token)
    return out


def _index_tokens(key: str) -> set[str]:
    tokens = set(key.split())
    for token in list(tokens):
        if any(is_cjk(c) for c in token) and len(token) > 2:
            tokens.update(token[i : i + 2] for i in range(len(token) - 1))
    return tokens


@dataclass
class AccountIndex:
    """In-memory index over every account's identifiers and names; rebuilt when accounts change."""

    names: dict[int, str] = field(default_factory=dict)
    keys: dict[int, str] = field(default_factory=dict)
    exact: dict[str, list[int]] = field(default_factory=dict)
    postings: dict[str, list[int]] = field(default_factory=dict)
    vocabulary: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, entries: Iterable[IndexEntry]) -> AccountIndex:
        index = cls()
        for entry in entries:
            index._add(entry)
        index.vocabulary = list(index.postings)
        return index

    def _add(self, entry: IndexEntry) -> None:
        aid = entry.account_id
        key = fuzzy_key(entry.name)
        self.names[aid] = entry.name
        self.keys[aid] = key
        exact_forms = {normalize(entry.name), key}
        if entry.external_id:
            exact_forms.add(normalize(entry.external_id))
        if entry.domain:
            exact_forms.add(entry.domain.casefold())
        for form in exact_forms:
            if form:
                self.exact.setdefault(form, []).append(aid)
        for token in _index_tokens(key):
            self.postings.setdefault(token, []).append(aid)

    def __len__(self) -> int:
        return len(self.names)

    def match(self, query: str, limit: int = 5) -> Match:
        norm = normalize(query)
        if not norm:
            return Match(MatchKind.NONE)
        for form in (query.strip().casefold(), norm, fuzzy_key(query)):
            ids = self.exact.get(form)
            if ids:
                cands = tuple(Candidate(i, self.names[i], 100.0) for i in dict.fromkeys(ids))
                if len(cands) == 1:
                    return Match(MatchKind.EXACT, cands)
                return Match(MatchKind.AMBIGUOUS, cands[: max(limit, 10)])
        return self._fuzzy(fuzzy_key(query), limit)

    def _candidate_ids(self, key: str) -> set[int]:
        ids: set[int] = set()
        for token in _index_tokens(key):
            near = process.extract(
                token, self.vocabulary, scorer=fuzz.ratio, score_cutoff=TOKEN_CUTOFF, limit=8
            )
            for vocab_token, _score, _ in near:
                posting = self.postings[vocab_token]
                if len(posting) <= MAX_POSTING:
                    ids.update(posting)
        return ids

    def _fuzzy(self, key: str, limit: int) -> Match:
        ids = self._candidate_ids(key)
        if not ids:
            return Match(MatchKind.NONE)
        id_list = list(ids)
        scored = process.extract(
            key, [self.keys[i] for i in id_list], scorer=fuzz.WRatio, score_cutoff=SUGGEST, limit=limit + 1
        )
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
