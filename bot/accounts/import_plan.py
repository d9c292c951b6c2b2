"""Planning an accounts import: which stored account each row updates (or that it is new), the tier it
gets and what made a tier move, computed with a few SELECTs per chunk and no writes. `importer.py`
streams the file through a `Planner` chunk by chunk; `import_write.py` writes the plans.

Matching a row to a stored account: by external_id first; otherwise by normalised name (`name_key`),
so 'ACME Corp.' updates 'Acme Corp'. A row that carries an external_id unknown to the database only
adopts a same-named account that has no external_id yet (two companies may share a name). A name
shared by several stored accounts cannot say which one is meant, so that row is refused.

On update, optional columns missing from the file keep their stored values; an empty cell in a column
the file has resets it (criticality to medium, strategic to false, the rest to nothing). An empty
external_id never clears a stored one.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session, aliased

from bot.accounts.bulk import BATCH
from bot.accounts.csv_rows import AccountRow, ProgressFn, RowError
from bot.accounts.delta import Delta, RuleBasis, explain
from bot.accounts.tiering import load_basis, newest_override_id
from bot.policy.evaluate import AccountFacts, Override, evaluate
from bot.policy.model import Policy
from storage.models import Account, TierOverride

ACCOUNTS_TABLE = cast(Table, Account.__table__)
# Columns an import may set; `tier` and the timestamps are managed here, never read from the file.
FIELDS = (
    "name",
    "name_key",
    "external_id",
    "domain",
    "acv",
    "usage_criticality",
    "strategic",
    "health_score",
    "owner",
    "region",
    "slack_channel",
)
OPTIONAL_FIELDS = (
    "domain",
    "usage_criticality",
    "strategic",
    "health_score",
    "owner",
    "region",
    "slack_channel",
)

TIER_MEMO_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class TierMove:
    line: int
    account_id: int | None
    name: str
    from_tier: str | None
    to_tier: str
    detail: str


# A planned account's values in FIELDS order. 100,000 of them wait between planning and writing: as
# tuples they take 120 bytes each, as dicts 272 (464 once the tier is added for the write).
Values = tuple[Any, ...]


@dataclass(slots=True)
class PlannedAccount:
    line: int
    account_id: int | None  # None: a new account
    values: Values
    tier: str
    previous_tier: str | None
    detail: str  # the applied reasons, as record_tier writes them
    delta: tuple[Delta, ...] = ()  # what made the difference, for a stored account whose tier moves

    @property
    def name(self) -> str:
        return str(self.values[0])

    @property
    def tier_moves(self) -> bool:
        return self.tier != self.previous_tier


@dataclass
class ImportPlan:
    new: list[PlannedAccount] = field(default_factory=list)
    updated: list[PlannedAccount] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # (account id, old, new) for stored accounts whose health score the import changes (issue 11).
    health_changes: list[tuple[int, int | None, int | None]] = field(default_factory=list)

    @property
    def tier_moves(self) -> list[TierMove]:
        """Stored accounts whose tier the import moves (new accounts get their first tier, not a move)."""
        return [
            TierMove(p.line, p.account_id, p.name, p.previous_tier, p.tier, p.detail)
            for p in self.updated
            if p.tier_moves
        ]


# A stored account as (tier, *FIELDS): plain tuples, as 100,000 Row-to-dict conversions cost seconds.
Stored = tuple[Any, ...]
AT = {f: i for i, f in enumerate(FIELDS, 1)}
HEALTH = FIELDS.index("health_score")
EXTERNAL_ID, ACV, CRITICALITY, STRATEGIC = (
    FIELDS.index(f) for f in ("external_id", "acv", "usage_criticality", "strategic")
)
_OPTIONAL_AT = tuple((col, FIELDS.index(col)) for col in OPTIONAL_FIELDS)
_from_row = attrgetter(*FIELDS)  # an AccountRow's values as a tuple in FIELDS order


def _active_overrides(session: Session, now: datetime) -> dict[int, Override]:
    """The override tiering.active_override picks, for every account, in one query."""
    o = aliased(TierOverride)
    rows = session.execute(
        select(o.account_id, o.tier, o.reason, o.set_by, o.expires_at).where(
            o.cleared_at.is_(None), o.id == newest_override_id(o.account_id)
        )
    )
    return {
        row.account_id: Override(row.tier, row.reason, row.set_by, row.expires_at)
        for row in rows
        if row.expires_at is None or row.expires_at > now
    }


class _Tiers:
    """evaluate() with a memo: imported accounts often share their facts (round ACVs)."""

    def __init__(self, policy: Policy, now: datetime) -> None:
        self.policy = policy
        self.now = now
        self.memo: dict[tuple[Decimal, str, bool], tuple[str, str]] = {}

    def __call__(self, values: Values, override: Override | None = None) -> tuple[str, str]:
        """The tier and the applied reasons, joined as record_tier writes them into the history."""
        key = (values[ACV], values[CRITICALITY], values[STRATEGIC])
        if override is None and (hit := self.memo.get(key)) is not None:
            return hit
        result = evaluate(self.policy, AccountFacts(*key), override, self.now)
        out = result.tier, "; ".join(r.text for r in result.reasons if r.applied)
        if override is None and len(self.memo) < TIER_MEMO_LIMIT:  # bounded: most ACVs are unique
            self.memo[key] = out
        return out


def _row_values(row: AccountRow, stored: Stored | None) -> Values:
    values: Values = _from_row(row)
    if stored is None:
        return values
    merged = list(values)
    if row.external_id is None:
        merged[EXTERNAL_ID] = stored[AT["external_id"]]
    for col, at in _OPTIONAL_AT:
        if col not in row.present:
            merged[at] = stored[at + 1]  # stored rows are (tier, *FIELDS)
    return tuple(merged)


class Planner:
    """Plans rows chunk by chunk. Each chunk reads only the stored accounts its rows name (by
    external_id or name key), never the whole table: a re-import of 435,000 accounts would otherwise
    hold every stored account (~500 bytes each, ~220 MB) next to the file. Accounts created by this
    import (ids above the highest at the start) are not "stored", so a chunk's own writes never change
    how a later chunk is matched."""

    LOOKUP_BATCH = 900  # values per IN (...): under every SQLite build's bound-parameter limit

    def __init__(self, session: Session, policy: Policy, now: datetime) -> None:
        self.session = session
        self.overrides = _active_overrides(session, now)
        self.max_id = session.scalar(select(func.max(ACCOUNTS_TABLE.c.id))) or 0
        self.tiers = _Tiers(policy, now)
        self.policy = policy
        self._basis: RuleBasis | None = None
        self._basis_read = False
        # Every update as (stored account, line), 16 bytes a row: a dict of 435,000 accounts would
        # take ~45 MB. Rows updating one account are found at the end; writing two updates to one
        # account meanwhile is harmless, as the transaction is then rolled back.
        self.target_ids: array[int] = array("q")
        self.target_lines: array[int] = array("q")
        self.stored: dict[int, Stored] = {}
        self.by_ext: dict[str, int] = {}
        self.by_key: dict[str, list[int]] = {}

    def repeats(self, skip: set[int] | frozenset[int] = frozenset()) -> dict[int, list[int]]:
        """Stored accounts that several rows update -> those lines, leaving out `skip` (lines refused
        as duplicates in the file, which the whole-file check used to remove before planning)."""
        ids, lines = self.target_ids, self.target_lines
        seen: set[int] = set()  # transient, once planning is done
        twice: set[int] = set()
        for account_id in ids:
            if account_id in seen:
                twice.add(account_id)
            else:
                seen.add(account_id)
        del seen
        found: dict[int, list[int]] = {}
        if twice:
            for account_id, line in zip(ids, lines, strict=True):
                if account_id in twice and line not in skip:
                    found.setdefault(account_id, []).append(line)
        return {account_id: found_lines for account_id, found_lines in found.items() if len(found_lines) > 1}

    def _load(self, rows: Sequence[AccountRow]) -> None:
        """The stored accounts these rows may name, as (tier, *FIELDS), and their indexes."""
        cols = ACCOUNTS_TABLE.c
        self.stored, self.by_ext, self.by_key = {}, {}, {}
        exts = sorted({r.external_id for r in rows if r.external_id is not None})
        keys = sorted({r.name_key for r in rows})
        for column, values in ((cols.external_id, exts), (cols.name_key, keys)):
            for start in range(0, len(values), self.LOOKUP_BATCH):
                found = self.session.execute(
                    select(cols.id, cols.tier, *(cols[f] for f in FIELDS)).where(
                        column.in_(values[start : start + self.LOOKUP_BATCH]), cols.id <= self.max_id
                    )
                )
                for row in found:
                    self.stored[row[0]] = tuple(row[1:])
        ext_at, key_at = AT["external_id"], AT["name_key"]
        for stored_id, acc in self.stored.items():
            if acc[ext_at] is not None:
                self.by_ext[acc[ext_at]] = stored_id
            self.by_key.setdefault(acc[key_at], []).append(stored_id)

    def plan(
        self,
        rows: Sequence[AccountRow],
        plan: ImportPlan | None = None,
        progress: ProgressFn | None = None,
        track: bool = True,
    ) -> ImportPlan:
        """Add `rows` to `plan` (a new one by default); `track=False` re-plans rows already seen."""
        plan = ImportPlan() if plan is None else plan
        self._load(rows)
        stored, tiers, ext_at = self.stored, self.tiers, AT["external_id"]
        for done, row in enumerate(rows, 1):
            if progress is not None and done % BATCH == 0:
                progress("plan", done, len(rows))
            account_id = self.by_ext.get(row.external_id) if row.external_id is not None else None
            if account_id is None:
                candidates: Sequence[int] = self.by_key.get(row.name_key, ())
                if candidates and row.external_id is not None:
                    candidates = [i for i in candidates if stored[i][ext_at] is None]
                if len(candidates) > 1:
                    ids = ", ".join(f"#{i}" for i in sorted(candidates)[:5])
                    plan.errors.append(
                        RowError(
                            row.line,
                            f"{len(candidates)} stored accounts ({ids}) share the name {row.name!r}, "
                            "so this row cannot tell which to update; add their external_id",
                        )
                    )
                    continue
                account_id = candidates[0] if candidates else None

            if account_id is None:
                values = _row_values(row, None)
                tier, detail = tiers(values)
                plan.new.append(PlannedAccount(row.line, None, values, tier, None, detail))
                continue

            if track:
                self.target_ids.append(account_id)
                self.target_lines.append(row.line)
            old = stored[account_id]
            values = _row_values(row, old)
            try:
                tier, detail = tiers(values, self.overrides.get(account_id))
            except KeyError as exc:
                plan.errors.append(
                    RowError(
                        row.line,
                        f"account #{account_id} has an override to tier {exc.args[0]!r}, which the policy "
                        "no longer has; clear the override first",
                    )
                )
                continue
            if tier == old[0] and values == old[1:]:
                plan.unchanged += 1
                continue
            delta = self._explain(old, values, tier, self.overrides.get(account_id)) if tier != old[0] else ()
            plan.updated.append(PlannedAccount(row.line, account_id, values, tier, old[0], detail, delta))
            if values[HEALTH] != old[HEALTH + 1]:  # stored rows are (tier, *FIELDS)
                plan.health_changes.append((account_id, old[HEALTH + 1], values[HEALTH]))
        return plan

    def _explain(
        self, old: Stored, values: Values, tier: str, override: Override | None
    ) -> tuple[Delta, ...]:
        """What made the difference for one move (stored rows are (tier, *FIELDS))."""
        if not self._basis_read:
            self._basis, self._basis_read = load_basis(self.session), True
        before = AccountFacts(old[ACV + 1], old[CRITICALITY + 1], old[STRATEGIC + 1])
        after = AccountFacts(values[ACV], values[CRITICALITY], values[STRATEGIC])
        return explain(
            self.policy, old_tier=old[0], new_tier=tier, old_facts=before, new_facts=after,
            old_basis=self._basis, old_override=override, new_override=override,
        )  # fmt: skip

    def same_account_errors(self, repeats: dict[int, list[int]]) -> list[RowError]:
        """The errors of `repeats`, naming each account as stored before the import: call it with
        nothing of this import written (before writing, or after the rollback)."""
        errors = []
        cols = ACCOUNTS_TABLE.c
        names: dict[int, str] = {}
        if repeats:
            found = self.session.execute(select(cols.id, cols.name).where(cols.id.in_(list(repeats))))
            names = {row.id: row.name for row in found}
        for target, lines in repeats.items():
            for line in lines:
                others = ", ".join(str(n) for n in lines if n != line)
                errors.append(
                    RowError(
                        line,
                        f"updates the same account (#{target} {names[target]!r}) as line {others}",
                    )
                )
        return errors


def plan_import(
    session: Session,
    policy: Policy,
    rows: Sequence[AccountRow],
    now: datetime,
    progress: ProgressFn | None = None,
) -> ImportPlan:
    """What importing `rows` would change, computed with two queries and no writes."""
    planner = Planner(session, policy, now)
    plan = planner.plan(rows, progress=progress)
    plan.errors.extend(planner.same_account_errors(planner.repeats()))
    plan.errors.sort(key=lambda e: e.line or 0)
    return plan
