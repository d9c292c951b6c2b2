"""Tier-change alerts: which accounts moved to another tier, netted over a quiet period."""
