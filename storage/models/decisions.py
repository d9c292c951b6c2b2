"""Decisions tables (filled by the decisions work)."""
