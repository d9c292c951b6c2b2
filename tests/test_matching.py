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
        ("Globex", MatchKind.EXACT, 3),  # legal form ignored (no other account has the word)
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


def test_one_plausible_near_miss_is_the_answer_and_nonsense_matches_nothing() -> None:
    near = INDEX.match("Initek")  # 77: below STRONG, but the only candidate above CANDIDATE
    assert near.kind is MatchKind.FUZZY and near.account_id == 6
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


SHARED = AccountIndex.build(
    [
        IndexEntry(1, "Umbrella Corp", None, "umbrella.com"),
        IndexEntry(2, "Umbrella Health", None, "umbrellahealth.example"),
        IndexEntry(3, "Alphabet", None, "google.com"),
        IndexEntry(4, "Google Cloud Partners", None, "gcp-partners.example"),
        IndexEntry(5, "Acme Corp", None, None),
        IndexEntry(6, "Vandelay Industries Group", None, None),
        IndexEntry(7, "Initech", None, "initech.example"),
        IndexEntry(8, "Stark Industries Corp", None, "stark.example"),
    ]
)


@pytest.mark.parametrize(
    ("query", "accounts"),
    [
        # Both names hold the word and both domains start with it: 'Umbrella Corp' less its legal form
        # equals the query (and its domain's first label), which must not make it the answer.
        ("umbrella", {1, 2}),
        # A name word and another account's domain label are as good as each other.
        ("google", {3, 4}),
        ("industries", {6, 8}),
    ],
)
def test_a_word_several_accounts_hold_offers_the_choice(query: str, accounts: set[int]) -> None:
    match = SHARED.match(query)
    assert match.kind is MatchKind.AMBIGUOUS
    assert {c.account_id for c in match.candidates} == accounts


@pytest.mark.parametrize(
    ("query", "kind", "account"),
    [
        ("umbrella corp", MatchKind.EXACT, 1),  # the full name still answers
        ("umbrella.com", MatchKind.EXACT, 1),  # and the full domain
        ("initech", MatchKind.EXACT, 7),  # a name that is also its domain's label: one account
        ("acme", MatchKind.EXACT, 5),  # legal form ignored when no other account has the word
        ("stark", MatchKind.FUZZY, 8),  # one account holds the word: its card
    ],
)
def test_one_holder_still_answers(query: str, kind: MatchKind, account: int) -> None:
    match = SHARED.match(query)
    assert (match.kind, match.account_id) == (kind, account)


def test_a_domain_label_alone_finds_its_account() -> None:
    index = AccountIndex.build([IndexEntry(1, "Alphabet", None, "www.google.com"), IndexEntry(2, "Initech")])
    match = index.match("google")
    assert (match.kind, match.account_id) == (MatchKind.FUZZY, 1)


def test_a_choice_of_one_never_happens() -> None:
    for query in ("Initek", "umbrela helth", "alphabt", "vandeley", "stark indstries", "corp", "group"):
        match = SHARED.match(query)
        assert not (match.kind is MatchKind.AMBIGUOUS and len(match.candidates) == 1), query


@pytest.mark.parametrize(
    ("query", "accounts", "kind"),
    [
        ("corp", [5, 1, 8], MatchKind.AMBIGUOUS),  # shortest names first
        ("Corp.", [5, 1, 8], MatchKind.AMBIGUOUS),
        ("group", [6], MatchKind.FUZZY),  # one account holds it: its card
        ("stark corp", [8], MatchKind.FUZZY),  # not only legal forms: an ordinary query
        ("inc", [], MatchKind.NONE),
    ],
)
def test_a_common_word_lists_the_accounts_holding_it(
    query: str, accounts: list[int], kind: MatchKind
) -> None:
    match = SHARED.match(query)
    assert match.kind is kind
    assert [c.account_id for c in match.candidates] == accounts
    if kind is MatchKind.AMBIGUOUS:
        assert match.total == len(accounts)
