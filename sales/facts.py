"""Sales' 360° figures computed from its own tables: the fact source `check_customer_view` uses.

Found by integration's autodiscovery of `<app>/facts.py`. The counting rule is the view's
(integration/customer_view/sales_appliers.py): orders count once confirmed, never as drafts
or once cancelled; `top_products` ranks with the view's own function.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum

from crm.models import Account
from integration.customer_view import (
    by_account,
    by_currency,
    in_currency,
    register_fact_source,
    top_products,
)
from sales.models import OrderLine, SalesOrder

Status = SalesOrder.Status
COUNTED = (Status.CONFIRMED, Status.PARTIALLY_SHIPPED, Status.SHIPPED, Status.CLOSED)
OPEN = (Status.CONFIRMED, Status.PARTIALLY_SHIPPED)


def _account_filter(account_ids: list[int] | range, field: str) -> dict[str, Any]:
    if isinstance(account_ids, range):
        return {f"{field}__gte": account_ids.start, f"{field}__lt": account_ids.stop}
    return {f"{field}__in": list(account_ids)}


def sales_facts(account_ids: list[int] | range) -> dict[int, dict[str, Any]]:
    """Every account among `account_ids` with its order figures (zero when it has none),
    so that a view showing orders the tables do not have is a drift too."""
    zero = Decimal("0.00")
    currencies = dict(
        Account.objects.filter(**_account_filter(account_ids, "pk"))
        .order_by()
        .values_list("pk", "currency")
    )
    facts: dict[int, dict[str, Any]] = {
        pk: {
            "orders_count": 0,
            "orders_total": zero,
            "orders_total_by_currency": {},
            "open_orders_count": 0,
            "last_order_at": None,
            "top_products": [],
        }
        for pk in currencies
    }
    if not facts:
        return facts
    counted = SalesOrder.objects.filter(
        status__in=COUNTED, **_account_filter(account_ids, "account_id")
    )
    rows = (
        counted.values("account_id", "currency")
        .annotate(
            n=Count("pk"),
            total=Sum("total"),
            open_n=Count("pk", filter=Q(status__in=OPEN)),
            last=Max("confirmed_at"),
        )
        .order_by()
    )
    for account_id, found in by_account(r for r in rows if r["account_id"] in facts).items():
        totals = by_currency((r["currency"], r["total"]) for r in found)
        facts[account_id].update(
            orders_count=sum(r["n"] for r in found),
            orders_total=in_currency(totals, currencies[account_id]),
            orders_total_by_currency=totals,
            open_orders_count=sum(r["open_n"] for r in found),
            last_order_at=max((r["last"] for r in found if r["last"]), default=None),
        )
    lines = (
        OrderLine.objects.filter(
            order__status__in=COUNTED,
            **_account_filter(account_ids, "order__account_id"),
        )
        .order_by()
        .values_list(
            "order__account_id",
            "order_id",
            "product_id",
            "product__sku",
            "product__name",
            "quantity",
            "line_total",
        )
    )
    orders: dict[int, dict[int, list[dict[str, Any]]]] = {}
    for account_id, order_id, product_id, sku, name, quantity, line_total in lines.iterator(
        chunk_size=5000
    ):
        orders.setdefault(account_id, {}).setdefault(order_id, []).append(
            {
                "product_id": product_id,
                "sku": sku,
                "name": name,
                "quantity": quantity,
                "line_total": line_total,
            }
        )
    for account_id, by_order in orders.items():
        if account_id in facts:
            facts[account_id]["top_products"] = top_products(by_order.items())
    return facts


register_fact_source("sales", sales_facts)
