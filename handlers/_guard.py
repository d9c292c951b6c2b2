"""What every listener does when the database is away: answer the user, never a trace or a 500."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.views.notice import notice_view

log = logging.getLogger(__name__)

DB_DOWN = (
    ":warning: tierbot cannot reach its database right now, so nothing was read or changed. "
    "Please try again in a minute."
)

F = TypeVar("F", bound=Callable[..., Any])


def guarded(func: F) -> F:
    """Wrap a Bolt listener: a database error acks (or responds) with DB_DOWN instead of failing.

    Modal submissions get a notice pushed over the form (a message ack is not a valid answer
    there), and external-select searches get no options. The listener must take `body` for that.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SQLAlchemyError as exc:
            log.error("database error in %s: %s", func.__name__, exc.__class__.__name__)
            ack = kwargs.get("ack")
            if ack is not None and getattr(ack, "response", None) is None:
                kind = (kwargs.get("body") or {}).get("type")
                if kind == "view_submission":
                    ack(response_action="push", view=notice_view(DB_DOWN))
                elif kind == "block_suggestion":
                    ack(options=[])
                else:
                    ack(text=DB_DOWN, response_type="ephemeral")
                return None
            respond = kwargs.get("respond")
            if respond is not None:
                try:
                    respond(text=DB_DOWN, response_type="ephemeral", replace_original=False)
                except Exception:  # response_url gone too: the log line above is all we can do
                    log.warning("could not tell the user about the database error")
            return None

    return wrapper  # type: ignore[return-value]
