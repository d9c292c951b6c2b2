"""What every listener does when the database fails: answer the user, never a trace or a 500.

Only a database that cannot be reached (a lost or refused connection, a pool timeout) is reported as
"cannot reach its database"; any other database error (a value refused, a constraint broken) means the
database is there and refused this one change, and the user is told that instead, without the SQL.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import (
    DataError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.views.notice import notice_view

log = logging.getLogger(__name__)

DB_DOWN = (
    ":warning: tierbot cannot reach its database right now, so nothing was read or changed. "
    "Please try again in a minute."
)

# OperationalError covers a refused or dropped connection (psycopg and sqlite3 alike); InterfaceError a
# connection already closed; PoolTimeout every pooled connection busy for `pool_timeout` seconds.
UNREACHABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)


def could_not_save(exc: SQLAlchemyError) -> str:
    """What the user is told when the database refused a change: the kind of refusal, never the SQL."""
    if isinstance(exc, DataError):
        why = "a value was refused by the database (a character or number it cannot store)"
    elif isinstance(exc, IntegrityError):
        why = "it conflicts with something already saved (it may have been saved a moment ago)"
    else:
        why = "the database refused it"
    return f":warning: tierbot could not save that: {why}. Nothing was changed."


def message_for(exc: SQLAlchemyError) -> str:
    return DB_DOWN if isinstance(exc, UNREACHABLE) else could_not_save(exc)


F = TypeVar("F", bound=Callable[..., Any])


def guarded(func: F) -> F:
    """Wrap a Bolt listener: a database error acks (or responds) with what happened (`message_for`)
    instead of failing.

    Modal submissions get a notice pushed over the form (a message ack is not a valid answer
    there), and external-select searches get no options. The listener must take `body` for that.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SQLAlchemyError as exc:
            text = message_for(exc)
            # The driver's class (e.g. psycopg's InvalidTextRepresentation) says what was refused; the
            # statement and its parameters (user text) are not logged.
            orig = getattr(exc, "orig", None)
            cause = type(orig).__name__ if isinstance(orig, Exception) else "-"
            log.error("database error in %s: %s (%s)", func.__name__, exc.__class__.__name__, cause)
            ack = kwargs.get("ack")
            if ack is not None and getattr(ack, "response", None) is None:
                kind = (kwargs.get("body") or {}).get("type")
                if kind == "view_submission":
                    ack(response_action="push", view=notice_view(text))
                elif kind == "block_suggestion":
                    ack(options=[])
                else:
                    ack(text=text, response_type="ephemeral")
                return None
            respond = kwargs.get("respond")
            if respond is not None:
                try:
                    respond(text=text, response_type="ephemeral", replace_original=False)
                except Exception:  # response_url gone too: the log line above is all we can do
                    log.warning("could not tell the user about the database error")
            return None

    return wrapper  # type: ignore[return-value]
