"""Amounts as plain text ("$25,000"): the rules' reasons are audit prose, kept in the tier history
and shown on the card, so the domain writes them itself; views format money with the same function."""

from __future__ import annotations

from decimal import Decimal


def dollars(value: Decimal) -> str:
    """$25,000 for whole amounts, $25,000.50 otherwise."""
    whole = (
        value.quantize(Decimal("1"))
        if value == value.to_integral_value()
        else value.quantize(Decimal("0.01"))
    )
    return f"${whole:,}"
