"""All tables. Importing this package registers every model on `Base.metadata`.

Feature tables live in their own modules (decisions, tickets, schedule); import them from there.
"""

from storage.models import (  # noqa: F401  (registers their tables)
    alerts,
    decisions,
    quarterly,
    reports,
    scenarios,
    schedule,
    sync,
    tickets,
    tierchanges,
)
from storage.models.accounts import Account, TierChange, TierOverride, TierRuleBasis
from storage.models.base import Base, UTCDateTime, utcnow
from storage.models.meta import DataVersion, InboundDelivery

__all__ = [
    "Account",
    "Base",
    "DataVersion",
    "InboundDelivery",
    "TierChange",
    "TierOverride",
    "TierRuleBasis",
    "UTCDateTime",
    "utcnow",
]
