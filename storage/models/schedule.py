"""Schedule tables (filled by the schedule work)."""
