"""What the scenarios front door returns: every result type, with no numpy behind them.

Apart from `service.py` so that the modules that compute or render results (`projection.py`, `sweep.py`,
`backtest.py`, `schema.py`'s JSON, `chart.py`) and the runs kept as evidence (`runs.py`) import them
while `service.py` imports those: this module imports nothing of the package at run time. Plain
dataclasses and enums, so the web worker can import the front door without numpy (~20 MB of the /tier
workers' 200 MB; the arrays behind the numbers stay in `projection.Evaluation`). `service.py`
re-exports them; adapters import them from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.scenarios.variant import SweepSpec, Variant

# --- a variant evaluated (projection.py) and a sweep of one threshold (sweep.py)


@dataclass(frozen=True)
class TierFigures:
    key: str
    name: str
    accounts: int
    acv: float
    tickets: int
    severity_counts: tuple[int, ...]  # per SEVERITIES
    cost: float  # handle hours × the tier's hourly cost
    median_first_response_minutes: float | None  # None: no tickets, or overloaded
    median_resolution_minutes: float | None
    attainment: float | None  # share of decided targets met, first response and resolution pooled
    utilisation: float | None  # None: the tier has no staffing in the policy
    wait_minutes: float | None  # Erlang C mean wait; None when overloaded or unstaffed
    overloaded: bool


@dataclass(frozen=True)
class Measures:
    differentiation: float | None  # D; inf when the lowest tier is overloaded
    fairness: float | None  # J
    inversion_rate: float | None
    inversion_pairs: int
    critical_in_lowest: int
    cost: float
    attainment: float | None


@dataclass(frozen=True)
class SweepRow:
    value: Decimal
    measures: Measures
    gain: float | None  # None when D is unknown today or at this step; inf when unbounded
    loss: float | None

    @property
    def flips(self) -> bool:
        return self.gain is not None and self.loss is not None and self.loss > self.gain


@dataclass(frozen=True)
class FlipPoint:
    direction: int | None  # +1: D rises with the threshold, -1: it rises as it falls, None: neither
    flip: Decimal | None  # None: no flip in range
    over_budget: Decimal | None  # first step over the budget, scanning away from today


@dataclass(frozen=True)
class Move:
    from_tier: str
    to_tier: str
    accounts: int
    acv: float


@dataclass(frozen=True)
class Mover:
    account_id: int
    name: str
    acv: float
    from_tier: str
    to_tier: str


@dataclass(frozen=True)
class ScenarioResult:
    variant: Variant
    now: datetime
    days: int
    accounts: int
    tickets: int
    thresholds_today: tuple[tuple[str, Decimal], ...]  # (tier key, min_acv), highest first
    thresholds_variant: tuple[tuple[str, Decimal], ...]
    today: tuple[TierFigures, ...]  # highest tier first
    projected: tuple[TierFigures, ...]
    today_measures: Measures
    measures: Measures
    moves: tuple[Move, ...]
    movers: tuple[Mover, ...]  # the largest by ACV

    @property
    def accounts_moved(self) -> int:
        return sum(m.accounts for m in self.moves)

    @property
    def acv_moved(self) -> float:
        return sum(m.acv for m in self.moves)


@dataclass(frozen=True)
class SweepResult:
    spec: SweepSpec
    now: datetime
    days: int
    accounts: int
    tickets: int
    today_value: Decimal
    today_measures: Measures
    rows: tuple[SweepRow, ...]
    flip: FlipPoint


# --- the backtest of the projection on held-back data (backtest.py says how)


class Candidate(StrEnum):
    NAIVE = "naive"
    ADDITIVE = "additive"
    MULTIPLICATIVE = "multiplicative"
    ALLEN_CUNNEEN = "allen-cunneen"
    MEDIAN_WAIT = "median-wait"
    PER_TICKET = "per-ticket"


CANDIDATES = tuple(Candidate)
CURRENT = Candidate.ADDITIVE  # what projection.py does


class Trial(StrEnum):
    TIME = "time-split"
    MOVED = "moved-accounts"


class Level(StrEnum):
    TIER = "tier"
    SEVERITY = "tier×severity"


@dataclass(frozen=True)
class Window:
    """Days before now: fit [fit_from, hold_from), hold back [hold_from, hold_to)."""

    fit_from: int
    hold_from: int
    hold_to: int

    @property
    def label(self) -> str:
        end = f"-{self.hold_to}" if self.hold_to else "0"
        return f"fit -{self.fit_from}..-{self.hold_from} d, hold -{self.hold_from}..{end} d"


@dataclass(frozen=True)
class Cell:
    test: Trial
    window: int  # index into Backtest.windows
    moved_share: float  # 0 in the time split
    tier: str
    severity: str | None  # None: the whole tier
    fit_tickets: int  # answered, in the fit period
    hold_tickets: int  # answered, in the hold-back window
    utilisation_fit: float | None
    utilisation_hold: float | None
    arrival_scv: float  # Ca² of the hold-back window's gaps between arrivals (1 for Poisson)
    handle_scv: float  # Cs² of its handle times (1 for exponential)
    actual: float  # the hold-back median first response, minutes
    predictions: tuple[float | None, ...]  # per CANDIDATES; None: the model gives no number

    @property
    def level(self) -> Level:
        return Level.TIER if self.severity is None else Level.SEVERITY


@dataclass(frozen=True)
class Score:
    test: Trial
    level: Level
    model: Candidate
    cells: int  # cells scored: every model has a number
    mae: float | None  # minutes
    mdae: float | None  # median absolute error, minutes: one cell near saturation can make the mean
    mape: float | None  # 0-1
    wins: int  # scored cells where its error is below the current model's
    losses: int
    no_number: int  # cells of this test and level where it gave no number


@dataclass(frozen=True)
class Backtest:
    days: int
    windows: tuple[Window, ...]
    moved_shares: tuple[float, ...]
    min_tickets: int
    cells: tuple[Cell, ...]
    scores: tuple[Score, ...]

    def score(self, test: Trial, level: Level, model: Candidate) -> Score:
        return next(s for s in self.scores if (s.test, s.level, s.model) == (test, level, model))


@dataclass(frozen=True)
class BacktestResult:
    now: datetime
    days: int
    accounts: int
    tickets: int
    backtest: Backtest
