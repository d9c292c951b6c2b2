"""Block, action and callback ids of review reminders and review-trigger alerts.

"Mark reviewed" and "Open" belong to the decision-record surface (`decision_ids`); only Snooze is ours.
"""

SNOOZE = "review_snooze"  # action ids are SNOOZE:<1d|1w>, value: decision id
SNOOZE_PATTERN = r"^review_snooze:(1d|1w)$"
SNOOZE_CHOICES = {"1d": 1, "1w": 7}  # choice -> days
ACTIONS_BLOCK = "review_actions"  # block_id is ACTIONS_BLOCK:<decision id>
