"""The one place amounts are rounded, for every app: money half up to cents, quantities half
up to thousandths (the decimals they are stored with)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MILLI = Decimal("0.001")


def round_money(value: Decimal | int | str) -> Decimal:
    """A money amount rounded half up to cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_quantity(value: Decimal | int | str) -> Decimal:
    """A quantity rounded half up to the three decimals quantities are stored with."""
    return Decimal(value).quantize(MILLI, rounding=ROUND_HALF_UP)
