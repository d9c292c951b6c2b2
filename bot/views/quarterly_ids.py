"""Action, callback and block ids of quarterly reviews (reminder, Mark held modal, lists)."""

MARK_HELD = "quarterly_mark_held"  # button, value: account id
HELD_MODAL = "quarterly_held_modal"  # view callback id, private_metadata: account id
NOTE_BLOCK = "quarterly_note"
NOTE_INPUT = "quarterly_note_input"
ACTIONS_BLOCK = "quarterly_actions"  # block_id is ACTIONS_BLOCK:<account id>
