"""Block, action and callback ids of the decision-record surface."""

OPEN = "decision_open"  # "Log a decision" button (value: optional account id)

# The three-step modal: one callback id per step, Back is a button in the step's first actions block.
FRAME = "decision_frame"
COMPARE = "decision_compare"
COMMIT = "decision_commit"
STEPS = (FRAME, COMPARE, COMMIT)
BACK = "decision_back"  # value: the callback id of the step to go back to
NAV_BLOCK = "decision_nav"
INPUT = "value"  # action id of every single-element input block; the block id says which field

# Frame
TITLE = "decision_title"
OBJECTIVE = "decision_objective"
SCOPE = "decision_scope"
HORIZON = "decision_horizon"
OWNER = "decision_owner"
TIERS = "decision_tiers"
ACCOUNTS = "decision_accounts"
ACCOUNTS_SEARCH = "decision_accounts_search"  # action id of the external select (the options listener)

# Compare (per option / metric, formatted with the key)
OPTION_TITLE = "decision_option_{key}_title"
OPTION_CONSTRAINTS = "decision_option_{key}_constraints"
OPTION_TRADEOFFS = "decision_option_{key}_tradeoffs"
EVIDENCE = "decision_evidence"
ASSUMPTIONS = "decision_assumptions"
OPEN_QUESTIONS = "decision_open_questions"
METRIC_BASELINE = "decision_metric_{metric}_baseline"
METRIC_TARGET = "decision_metric_{metric}_target"
KEY_ASSUMPTIONS = "decision_key_assumptions"
SCENARIO_RANGES = "decision_scenario_ranges"
TRADEOFF_SUMMARY = "decision_tradeoff_summary"
RISKS = "decision_risks"
CRITERIA = "decision_criteria"

# Commit
CHOSEN = "decision_chosen"
RATIONALE = "decision_rationale"
REVIEW_DATE = "decision_review_date"
CADENCE_INITIAL = "decision_cadence_initial"
CADENCE_OPERATING = "decision_cadence_operating"
CADENCE_POST = "decision_cadence_post"
REVERSAL_SIGNAL = "decision_reversal_signal"
STOP_CONDITIONS = "decision_stop_conditions"
TRIGGER = "decision_trigger_{n}_{part}"  # part: metric | scope | comparison | threshold
TRIGGER_PARTS = ("metric", "scope", "comparison", "threshold")
TRIGGER_ROWS = 3
WINDOW_DAYS = "decision_window_days"

# The posted record and the lists (button values: the decision id)
VIEW = "decision_view"
START_REVIEW = "decision_start_review"
MARK_REVIEWED = "decision_mark_reviewed"  # static select, option value "<id>:<outcome>"
REVERSE = "decision_reverse"
SUPERSEDE = "decision_supersede"
EDIT = "decision_edit"
RECORD_ACTIONS_BLOCK = "decision_record_actions"

# Small modals around a record (private_metadata: the decision id)
VIEW_MODAL = "decision_view_modal"
REVIEW_MODAL = "decision_review_modal"
REVERSE_MODAL = "decision_reverse_modal"
OUTCOME = "decision_outcome"
NOTE = "decision_note"
NEXT_REVIEW = "decision_next_review"
REASON = "decision_reason"
SCENARIOS = "decision_scenarios"  # View: the scenarios attached as evidence

# App Home
HOME_ACTIONS_BLOCK = "decision_home_actions"
