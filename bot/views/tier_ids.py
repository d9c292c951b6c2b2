"""Block, action and callback ids of the /tier surface."""

PICK = "tier_pick"  # one button per candidate account; action ids are PICK:<n>
PICK_PATTERN = r"^tier_pick:\d+$"
SHARE = "tier_share"
CHOICES_BLOCK = "tier_choices"
ACTIONS_BLOCK = "tier_actions"
