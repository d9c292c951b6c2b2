"""Block ids of scenario results (named once, so tests and later actions refer to the same strings)."""

RESULT = "scenario_result"
MOVES = "scenario_moves"
MEASURES = "scenario_measures"
TIER_PREFIX = "scenario_tier_"  # + tier key
SWEEP_ROWS = "scenario_sweep_rows"
FLIP = "scenario_flip"
EVIDENCE_ACTIONS = "scenario_evidence_actions"
# Buttons (value: the kept run's id): a new decision, Compare step pre-filled with the numbers; or add the
# scenario to one of the user's open decisions (ATTACH_MODAL, the decision picked in ATTACH_TARGET).
LOG_DECISION = "scenario_log_decision"
ADD_TO_DECISION = "scenario_add_to_decision"
ATTACH_MODAL = "scenario_attach_modal"
ATTACH_TARGET = "scenario_attach_target"
ATTACH_INPUT = "scenario_attach_input"
REVIEW_SCENARIOS = "scenario_review"  # in the review modal: what moved since (+ _<n> per scenario)
