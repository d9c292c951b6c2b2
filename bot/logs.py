"""Logging set-up that never writes a Slack token or the signing secret, whatever the level."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"xox[abposer]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s and len(s) >= 6)

    def _clean(self, text: str) -> str:
        text = _TOKEN.sub("xox…[redacted]", text)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class DropRefusedBodies(logging.Filter):
    """Bolt's RequestVerification logs the whole body of a request whose signature is wrong, at INFO.

    A refused body is whatever a stranger sent (one unsigned 100 MB POST wrote a 100 MB line), so its
    record keeps only the reason and the size. `bot.slack.guard` refuses such requests before Bolt
    sees them; this covers any other way a request reaches Bolt.
    """

    LOGGER = "slack_bolt.RequestVerification"

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        _, found, body = message.rpartition(", body: ")
        size = f"{len(body.encode()) - 1}-byte body" if found else "body"
        record.msg, record.args = f"Invalid request signature detected ({size} not logged)", None
        return True


def quiet_refused_bodies() -> None:
    logger = logging.getLogger(DropRefusedBodies.LOGGER)
    if not any(isinstance(f, DropRefusedBodies) for f in logger.filters):
        logger.addFilter(DropRefusedBodies())


def configure_logging(level: str = "INFO", secrets: tuple[str, ...] = ()) -> None:
    root = logging.getLogger()
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    install_redaction(secrets)
    root.setLevel(level.upper())
    # Migration chatter on every command start says nothing a user needs; failures still show.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))


def install_redaction(secrets: tuple[str, ...] = ()) -> None:
    """Attach the filter to every root handler (filters on loggers do not see propagated records)."""
    for handler in logging.getLogger().handlers:
        handler.filters = [f for f in handler.filters if not isinstance(f, RedactSecrets)]
        handler.addFilter(RedactSecrets(secrets))
