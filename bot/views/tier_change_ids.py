"""Action, callback and block ids of tier-change alerts and their Set override modal."""

SET_OVERRIDE = "tier_change_set_override"  # button on an alert, value: account id
OVERRIDE_MODAL = "tier_change_override_modal"  # view callback id, private_metadata: account id
TIER_BLOCK = "tier_change_tier"
TIER_INPUT = "tier_change_tier_input"  # static_select, option values: tier keys
REASON_BLOCK = "tier_change_reason"
REASON_INPUT = "tier_change_reason_input"
UNTIL_BLOCK = "tier_change_until"
UNTIL_INPUT = "tier_change_until_input"  # datepicker, optional
