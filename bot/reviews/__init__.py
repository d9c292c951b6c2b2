"""What a review reminder or a review-trigger alert contains (plain data; the scheduler posts it)."""

from bot.reviews.reminders import ReviewDue, due_reviews, reminder_period
from bot.reviews.triggers import TriggerFiring, describe_trigger, evaluate_triggers

__all__ = [
    "ReviewDue",
    "TriggerFiring",
    "describe_trigger",
    "due_reviews",
    "evaluate_triggers",
    "reminder_period",
]
