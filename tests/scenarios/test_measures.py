"""The measures against brute force on random data (inversions without pairs, medians by group)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bot.scenarios import measures


def brute_inversions(t: np.ndarray, s: np.ndarray, r: np.ndarray) -> tuple[int, int]:
    inverted = pairs = 0
    for i, j in itertools.permutations(range(t.size), 2):
        if s[i] < s[j] and r[i] < r[j]:
            pairs += 1
            inverted += int(t[i] > t[j])
    return inverted, pairs


def test_inversions_match_brute_force() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = 60
        t = rng.integers(0, 20, n).astype(float)  # ties on purpose: "waits longer" is strict
        t[rng.integers(0, n, 3)] = np.inf
        s = rng.integers(0, 4, n)
        r = rng.integers(0, 3, n)
        assert measures.inversions(t, s, r, 3, 4) == brute_inversions(t, s, r)


def test_group_medians() -> None:
    values = np.array([5.0, 1.0, np.nan, 3.0, 10.0, 20.0])
    groups = np.array([0, 0, 0, 0, 2, 2])
    out = measures.group_medians(values, groups, 3)
    assert out[0] == 3.0 and np.isnan(out[1]) and out[2] == 15.0


def test_jain() -> None:
    assert measures.jain(np.array([1.0, 1.0, 1.0])) == pytest.approx(1.0)
    assert measures.jain(np.array([1.0, 0.0, 0.0, 0.0])) == pytest.approx(0.25)
    x = np.array([1.0, 1.0, 2.0, 0.0, 5.0])
    groups = np.array([0, 0, 1, 1, 2])  # group 2 has one member: left out
    assert measures.jain_by_group(x, groups, 3) == pytest.approx((1.0 + 0.5) / 2)


def test_differentiation_weights_and_unbounded() -> None:
    low, top = np.array([100.0, 300.0, np.nan, 50.0]), np.array([50.0, 100.0, 10.0, 0.0])
    assert measures.differentiation(low, top, np.array([1.0, 3.0, 5.0, 5.0])) == pytest.approx((2 + 9) / 4)
    assert measures.differentiation(np.array([np.inf]), np.array([1.0]), np.array([1.0])) == np.inf
    assert measures.differentiation(np.array([np.nan]), np.array([1.0]), np.array([1.0])) is None


def test_inversions_of_sorted_runs_match() -> None:
    rng = np.random.default_rng(11)
    t = rng.integers(0, 50, 3000).astype(float)
    s = rng.integers(0, 4, 3000)
    r = rng.integers(0, 3, 3000)
    runs: dict[tuple[int, int], list[np.ndarray]] = {}
    for part in np.array_split(np.arange(3000), 3):  # three runs per cell, each sorted on its own
        for cell in {(int(a), int(b)) for a, b in zip(s[part], r[part], strict=True)}:
            mask = (s[part] == cell[0]) & (r[part] == cell[1])
            runs.setdefault(cell, []).append(np.sort(t[part][mask]))
    assert measures.inversions_of_runs(runs, 3, 4) == measures.inversions(t, s, r, 3, 4)
