"""The SLA digest capability: what a digest contains (plain data; the Slack views render it), the
channels subscribed to it (`subscriptions`, `periods`), and acknowledged or snoozed breaches (`acks`).
Its front door is `bot.digest.service`."""

from bot.digest.build import build_digest, full_breach_list
from bot.digest.model import Digest, DigestItem, DigestSnapshot, TierMovement

__all__ = ["Digest", "DigestItem", "DigestSnapshot", "TierMovement", "build_digest", "full_breach_list"]
