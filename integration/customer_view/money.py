"""Money in the 360° view: amounts are summed per currency, never across currencies.

A customer's headline figures (`open_opportunities_value`, `won_value`, `orders_total`) are
in the customer's own currency; the `…_by_currency` figures hold every currency's sum, the
customer's own included. Shared by the view's aggregates and the domain apps' fact
sources (crm/facts.py, sales/facts.py), so that both write the same figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

ZERO = Decimal("0.00")


def by_currency(amounts: Iterable[tuple[str, Decimal | None]]) -> dict[str, str]:
    """(currency, amount) pairs summed per currency as {"EUR": "1200.00"}: decimal strings
    with two places, currencies in alphabetical order, none whose sum is zero."""
    sums: dict[str, Decimal] = {}
    for currency, amount in amounts:
        if amount is not None:
            sums[currency] = sums.get(currency, ZERO) + Decimal(amount)
    return {c: f"{sums[c].quantize(ZERO)}" for c in sorted(sums) if sums[c]}


def in_currency(sums: dict[str, str], currency: str) -> Decimal:
    """The amount of `sums` (by_currency) in `currency`; zero if it has none.

    A customer whose profile has not been applied yet has no currency (""): it shows its
    only currency's amount, and zero while it has several."""
    if not currency and len(sums) == 1:
        currency = next(iter(sums))
    return Decimal(sums.get(currency, ZERO)).quantize(ZERO)


def by_account(rows: Iterable[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Rows grouped per (account_id, currency), gathered per account: the groups a
    customer's money figures are summed from."""
    accounts: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        accounts.setdefault(row["account_id"], []).append(row)
    return accounts
