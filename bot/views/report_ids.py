"""Block ids of the per-tier report message."""

REPORT_HEADER = "report_header"
TIER_BLOCK_PREFIX = "report_tier_"  # + tier key
CHART_NOTE = "report_chart_note"
