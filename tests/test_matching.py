"""The fuzzy matcher without a database: forms of names, ambiguity, no match."""

from __future__ import annotations

import pytest

from bot.matching import AccountIndex, IndexEntry, MatchKind, fuzzy_key
from bot.text import clean_input, normalize
from bot.views.format import escape_mrkdwn

INDEX = AccountIndex.build(
    [
        IndexEntry(1, "Acme Corp", "ACME-001", "acme.example"),
        IndexEntry(2, "Acme Rockets Inc", None, None),
        IndexEntry(3, "Globex Corporation", None, None),
        IndexEntry(4, "アクメ株式会社", "ACME-JP", None),
        IndexEntry(5, "Société Générale", None, None),
        IndexEntry(6, "Initech", None, None),
        IndexEntry(7, "Systems Data Cloud", None, None),
        IndexEntry(8, "Twin Peaks", None, None),
        IndexEntry(9, "Twin Peaks", None, None),
    ]
)


@pytest.mark.parametrize(
    ("query", "kind", "account"),
    [
        ("ACME-001", MatchKind.EXACT, 1),
        ("acme-001", MatchKind.EXACT, 1),
        ("ACME.example", MatchKind.EXACT, 1),
        ("Acme", MatchKind.EXACT, 1),  # legal form ignored
        ("rockets acme", MatchKind.EXACT, 2),  # word order
        ("Globx Corporation", MatchKind.FUZZY, 3),  # typo
        ("data systmes cloud", MatchKind.FUZZY, 7),
        ("ｱｸﾒ", MatchKind.EXACT, 4),  # half-width katakana
        ("あくめ", MatchKind.EXACT, 4),  # hiragana
        ("SOCIETE GENERALE", MatchKind.EXACT, 5),
    ],
)
def test_single_matches(query: str, kind: MatchKind, account: int) -> None:
    match = INDEX.match(query)
    assert match.kind is kind
    assert match.account_id == account


def test_same_name_twice_is_ambiguous() -> None:
    match = INDEX.match("twin peaks")
    assert match.kind is MatchKind.AMBIGUOUS
    assert {c.account_id for c in match.candidates} == {8, 9}


def test_near_miss_offers_choices_and_nonsense_matches_nothing() -> None:
    near = INDEX.match("Initek")
    assert near.kind is MatchKind.AMBIGUOUS and near.candidates[0].account_id == 6
    assert INDEX.match("qqqzzzxxx").kind is MatchKind.NONE
    assert INDEX.match("   ").kind is MatchKind.NONE


def test_normalisation_and_hygiene() -> None:
    assert normalize("  Ａｃｍé   Corp. ") == "acme corp"
    assert fuzzy_key("The Acme Corp, Inc.") == "acme"
    assert clean_input("a\x00b\u202ec\n\td" + "x" * 500) == "abc d" + "x" * 195
    assert escape_mrkdwn("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_length_bounds_never_hide_a_near_token() -> None:
    """Only tokens of a length that can reach the cutoff are compared: the near tokens must be those,
    and in the order, that scoring the whole vocabulary in first-seen order gives, at the length
    bounds (4 vs 7 letters is exactly 72.7) and on ties ('abcdef' scores 80 against every 'abcd?'
    and every 'abcdef???', more than five of each)."""
    from itertools import product

    from rapidfuzz import fuzz, process

    from bot.matching import TOKEN_CUTOFF

    words = [f"abcdef{c}xy" for c in "ghijklm"] + [f"abc{c}" for c in "pqrstuv"]
    words += ["a", "ab", "abc", "abcd", "abcdefg", "abcdefgh", "ember", "timber", "member", "embers"]
    words += ["x" * n for n in range(1, 30)] + ["アクメ", "アクメ商事", "クメ"]
    index = AccountIndex.build(IndexEntry(i, w) for i, w in enumerate(words))
    queries = [*words, "abcdef", "abcx", "embr", "tmber", "xxxxxxxxxxxxxxxxxxx", "アクメ商", "q"]
    queries += ["".join(p) for p in product("abx", repeat=3)]
    vocabulary = list(index.postings)  # first-seen order
    for query in queries:
        whole = process.extract(query, vocabulary, scorer=fuzz.ratio, score_cutoff=TOKEN_CUTOFF, limit=5)
        got = index._near_tokens(query)
        assert got == tuple(token for token, _, _ in whole), query
        assert index._near_tokens(query) is got  # remembered
    scores = [score for _, score, _ in process.extract("abcd", vocabulary, scorer=fuzz.ratio, limit=None)]
    assert scores[4] == scores[5]  # the data holds a tie across the fifth place, or this proves little
