"""Quarterly account reviews for tiers with `quarterly_review = true`. Front door: `bot.quarterly.service`."""
