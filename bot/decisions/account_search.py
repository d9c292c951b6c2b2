"""Accounts for the decision modal's searchable picker: the /tier matcher first, then name prefixes.

The matcher finds typos and word-order variants but wants a near-complete word; while someone is still
typing ("acm") prefixes are what they mean. The sorted prefix list is built once per account index.
"""

from __future__ import annotations

import bisect
import threading
import weakref

from bot.matching import AccountIndex
from bot.text import normalize

_lock = threading.Lock()
_cache: tuple[weakref.ref[AccountIndex], list[tuple[str, int]]] | None = None


def _sorted_names(index: AccountIndex) -> list[tuple[str, int]]:
    global _cache
    with _lock:
        if _cache is not None and _cache[0]() is index:
            return _cache[1]
        names = sorted((normalize(name), aid) for aid, name in index.names.items())
        _cache = (weakref.ref(index), names)
        return names


def prefix_matches(index: AccountIndex, query: str, limit: int) -> list[int]:
    key = normalize(query)
    if not key:
        return []
    names = _sorted_names(index)
    out: list[int] = []
    for name, aid in names[bisect.bisect_left(names, (key, -1)) :]:
        if not name.startswith(key) or len(out) >= limit:
            break
        out.append(aid)
    return out


def search_accounts(index: AccountIndex, query: str, limit: int = 20) -> list[tuple[int, str]]:
    """(account id, name) pairs, best first, without repeats."""
    found = [c.account_id for c in index.match(query, limit=limit).candidates]
    found += prefix_matches(index, query, limit)
    unique = list(dict.fromkeys(found))[:limit]
    return [(aid, index.names[aid]) for aid in unique if aid in index.names]
