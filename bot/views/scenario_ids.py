"""Block ids of scenario results (named once, so tests and later actions refer to the same strings)."""

RESULT = "scenario_result"
MOVES = "scenario_moves"
MEASURES = "scenario_measures"
TIER_PREFIX = "scenario_tier_"  # + tier key
SWEEP_ROWS = "scenario_sweep_rows"
FLIP = "scenario_flip"
LOG_DECISION = "scenario_log_decision"  # button: a new decision, Compare step pre-filled with the numbers
