"""How sales documents sum up: line amounts and document totals, rounded by integration.rounding
(ROUND_HALF_UP to cents, the one rounding helper of all apps).

line_total = round(quantity * unit_price * (1 - discount / 100))
tax_amount = round(line_total * tax_rate / 100)           (per line)
subtotal = Σ line_total; tax_total = Σ tax_amount; total = subtotal + tax_total
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from integration.rounding import round_money as money

HUNDRED = Decimal("100")
ZERO_MONEY = Decimal("0.00")


@dataclass(frozen=True)
class LineAmounts:
    line_total: Decimal
    tax_amount: Decimal


def line_amounts(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal = Decimal("0"),
    tax_rate: Decimal = Decimal("0"),
) -> LineAmounts:
    net = money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)
    return LineAmounts(line_total=net, tax_amount=money(net * tax_rate / HUNDRED))


@dataclass(frozen=True)
class DocumentTotals:
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal


def document_totals(lines: Iterable[LineAmounts]) -> DocumentTotals:
    subtotal = tax_total = ZERO_MONEY
    for line in lines:
        subtotal += line.line_total
        tax_total += line.tax_amount
    return DocumentTotals(
        subtotal=money(subtotal), tax_total=money(tax_total), total=money(subtotal + tax_total)
    )
