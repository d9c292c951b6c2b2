"""A CRM record as account values, normalised exactly as the CSV import normalises cells.

A value that cannot be read is a reject naming the record and the field, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.accounts.csv_cells import (
    Cell,
    acv_cell,
    criticality_cell,
    domain_cell,
    external_id_cell,
    health_cell,
    name_cell,
    owner_cell,
    region_cell,
    slack_channel_cell,
    strategic_cell,
)
from bot.policy.model import SyncSource
from bot.sync.types import RemoteAccount
from bot.text import storable

# Account columns a sync writes, in this order (also the order of AccountValues' fields).
FIELDS = ("name", "name_key", "external_id", "domain", "acv", "usage_criticality", "strategic",
          "health_score", "owner", "region", "slack_channel")  # fmt: skip
_PARSERS = {
    "external_id": external_id_cell,
    "domain": domain_cell,
    "acv": acv_cell,
    "usage_criticality": criticality_cell,
    "strategic": strategic_cell,
    "health_score": health_cell,
    "owner": owner_cell,
    "region": region_cell,
    "slack_channel": slack_channel_cell,
}
_DEFAULTS: dict[str, Any] = {"usage_criticality": "medium", "strategic": False}


@dataclass(frozen=True, slots=True)
class Reject:
    record_id: str
    field: str
    reason: str


def text_of(value: Any) -> str:
    """An API value as the text a CSV cell would hold (None: empty; booleans: true/false), without
    the characters PostgreSQL refuses (NUL, lone surrogates), as the CSV import drops them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return storable(str(value))


class Normaliser:
    """One source's mapping; `__call__` turns a record into a values tuple (FIELDS order) or rejects.

    Fields the mapping leaves out are None in the tuple: the writer keeps the stored value."""

    def __init__(self, source: SyncSource) -> None:
        self.mapped = source.fields.mapped()
        self.labels = {k.casefold(): v for k, v in source.criticality_labels.items()}
        self.memo: dict[tuple[str, str], Cell] = {}

    def _cell(self, column: str, raw: str) -> Cell:
        key = (column, raw)
        if (hit := self.memo.get(key)) is not None:
            return hit
        if column == "usage_criticality":
            label = self.labels.get(raw.strip().casefold())
            cell = criticality_cell(label if label is not None else raw)
        else:
            cell = _PARSERS[column](raw)
        if column not in ("external_id", "domain") and len(self.memo) < 4096:
            self.memo[key] = cell
        return cell

    def __call__(self, record: RemoteAccount) -> tuple[Any, ...] | list[Reject]:
        rejects: list[Reject] = []
        values: dict[str, Any] = {}
        raw = record.values
        name, key, problem = name_cell(text_of(raw.get(self.mapped["name"])))
        if problem is not None:
            rejects.append(Reject(record.source_id, self.mapped["name"], problem))
        values["name"], values["name_key"] = name, key
        for column, remote in self.mapped.items():
            if column == "name":
                continue
            value, problem = self._cell(column, text_of(raw.get(remote)))
            if problem is not None:
                rejects.append(Reject(record.source_id, remote, problem))
            values[column] = value if value is not None else _DEFAULTS.get(column)
        if rejects:
            return rejects
        if not isinstance(values.get("acv"), Decimal):  # an empty ACV: acv_cell says why
            return [Reject(record.source_id, self.mapped["acv"], "acv is empty")]
        return tuple(values.get(column) for column in FIELDS)

    def keeps(self, column: str) -> bool:
        """True when the mapping does not sync this column, so the stored value stays."""
        return column not in self.mapped and column != "name_key"
