"""What a scheduled SLA digest contains (plain data; the Slack views render it)."""

from bot.digest.build import build_digest, full_breach_list
from bot.digest.model import Digest, DigestItem, DigestSnapshot, TierMovement

__all__ = ["Digest", "DigestItem", "DigestSnapshot", "TierMovement", "build_digest", "full_breach_list"]
