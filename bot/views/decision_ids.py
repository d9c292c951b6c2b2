"""Block, action and callback ids of the decision-record surface."""

OPEN = "decision_open"  # "Log a decision" button (value: optional account id)
