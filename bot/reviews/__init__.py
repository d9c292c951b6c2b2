"""Decision reviews: which reminders are due, review triggers, snoozes (plain data; `bot.jobs.reviews`
posts them). Its front door is `bot.reviews.service`."""

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
