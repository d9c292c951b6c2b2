"""The decisions domain's refusals (exceptions raised inside a transaction) as data: what each use case
returns instead of raising (`results.Refused`), so an adapter only ever renders."""

from __future__ import annotations

from bot.decisions.lifecycle import DecisionNotFound, TransitionRefused
from bot.decisions.results import RefusalKind, Refused
from bot.decisions.store import InvalidDecision, NotAllowed

Refusal = InvalidDecision | NotAllowed | TransitionRefused | DecisionNotFound
REFUSALS = (InvalidDecision, NotAllowed, TransitionRefused, DecisionNotFound)


def refused(exc: Refusal) -> Refused:
    """A domain refusal as data."""
    if isinstance(exc, NotAllowed):
        return Refused(RefusalKind.NOT_ALLOWED, decision_id=exc.decision_id, owner=exc.owner)
    if isinstance(exc, DecisionNotFound):
        return Refused(RefusalKind.NOT_FOUND, decision_id=exc.decision_id)
    if isinstance(exc, InvalidDecision):
        return Refused(RefusalKind.INVALID, errors=dict(exc.errors))
    return Refused(RefusalKind.TRANSITION, message=str(exc), field=exc.field)
