"""Sales reads shared by pages and API: lists with what they show loaded (no N+1), and the
sales dashboard's figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from sales.models import Contract, OrderLine, PriceList, PriceListItem, Quote, QuoteLine, SalesOrder

# Orders that count as sales (the 360° view counts the same ones).
COUNTED_STATUSES = (
    SalesOrder.Status.CONFIRMED,
    SalesOrder.Status.PARTIALLY_SHIPPED,
    SalesOrder.Status.SHIPPED,
    SalesOrder.Status.CLOSED,
)
OPEN_STATUSES = (SalesOrder.Status.CONFIRMED, SalesOrder.Status.PARTIALLY_SHIPPED)


def _search(qs: QuerySet, search: str) -> QuerySet:
    term = (search or "").strip()
    if not term:
        return qs
    return qs.filter(Q(number__icontains=term) | Q(account__name__icontains=term))


def order_list(*, search: str = "", account_id: int | None = None) -> QuerySet[SalesOrder]:
    qs = SalesOrder.objects.select_related(
        "account", "contact", "warehouse", "owner"
    ).prefetch_related(
        Prefetch("lines", OrderLine.objects.select_related("product").order_by("position", "id"))
    )
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return _search(qs, search).order_by("-created_at", "-id")


def order_detail(*, pk: int) -> SalesOrder:
    return order_list().get(pk=pk)


def quote_list(*, search: str = "", account_id: int | None = None) -> QuerySet[Quote]:
    qs = Quote.objects.select_related(
        "account", "contact", "opportunity", "owner"
    ).prefetch_related(
        Prefetch("lines", QuoteLine.objects.select_related("product").order_by("position", "id"))
    )
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return _search(qs, search).order_by("-created_at", "-id")


def contract_list(*, search: str = "", account_id: int | None = None) -> QuerySet[Contract]:
    qs = Contract.objects.select_related("account", "owner")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    term = (search or "").strip()
    if term:
        qs = qs.filter(
            Q(number__icontains=term) | Q(title__icontains=term) | Q(account__name__icontains=term)
        )
    return qs.order_by("end_date", "id")


def price_list_list(*, search: str = "") -> QuerySet[PriceList]:
    qs = PriceList.objects.select_related("segment").prefetch_related(
        Prefetch("items", PriceListItem.objects.select_related("product"))
    )
    if (search or "").strip():
        qs = qs.filter(name__icontains=search.strip())
    return qs.order_by("name", "id")


def contracts_due_for_renewal(
    *, today: dt.date | None = None, days: int = 30
) -> QuerySet[Contract]:
    today = today or timezone.localdate()
    return contract_list().filter(
        status=Contract.Status.ACTIVE,
        end_date__gte=today,
        end_date__lte=today + dt.timedelta(days=days),
    )


_MONEY = DecimalField(max_digits=16, decimal_places=2)


def sales_dashboard_figures(
    *, months: int = 12, today: dt.date | None = None, top: int = 5
) -> dict[str, Any]:
    """Orders this month, revenue per month (confirmed date), top customers and products.

    Revenue sums order totals regardless of currency (the demo has one); counted orders
    are those confirmed, shipped or closed.
    """
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    first = month_start
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    counted = SalesOrder.objects.filter(status__in=COUNTED_STATUSES)
    tz = timezone.get_current_timezone()
    this_month = counted.filter(
        confirmed_at__gte=dt.datetime.combine(month_start, dt.time.min, tzinfo=tz)
    ).aggregate(
        n=Count("id"), total=Coalesce(Sum("total"), Value(Decimal("0")), output_field=_MONEY)
    )
    trend_rows = (
        counted.filter(confirmed_at__gte=dt.datetime.combine(first, dt.time.min, tzinfo=tz))
        .annotate(month=TruncMonth("confirmed_at"))
        .values("month")
        .annotate(total=Sum("total"), n=Count("id"))
        .order_by("month")
    )
    by_month = {row["month"].date().replace(day=1): row for row in trend_rows}
    trend = []
    cursor = first
    while cursor <= month_start:
        row = by_month.get(cursor)
        trend.append(
            {
                "month": cursor,
                "orders": row["n"] if row else 0,
                "total": row["total"] if row else Decimal("0.00"),
            }
        )
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    top_customers = list(
        counted.values("account_id", "account__name")
        .annotate(orders=Count("id"), total=Sum("total"))
        .order_by("-total", "account_id")[:top]
    )
    top_products = list(
        OrderLine.objects.filter(order__status__in=COUNTED_STATUSES)
        .values("product_id", "product__sku", "product__name")
        .annotate(quantity=Sum("quantity"), total=Sum("line_total"))
        .order_by("-total", "product_id")[:top]
    )
    return {
        "orders_this_month": this_month["n"],
        "revenue_this_month": this_month["total"],
        "open_orders": SalesOrder.objects.filter(status__in=OPEN_STATUSES).count(),
        "open_quotes": Quote.objects.filter(
            status__in=[Quote.Status.DRAFT, Quote.Status.SENT]
        ).count(),
        "trend": trend,
        "top_customers": top_customers,
        "top_products": top_products,
    }
