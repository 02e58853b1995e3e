"""How sales events (sales.*) build the 360° view: orders and their figures, quotes, contracts.

Reads only the events' data (event-carried state, see the contract in sales/events.py);
never imports sales. The order figures follow one rule, shared with sales/facts.py through
`top_products` and the status sets below: orders count once confirmed (confirmed,
partially shipped, shipped, closed), never as drafts or once cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils.dateparse import parse_date, parse_datetime

from integration.customer_view.money import by_account, by_currency, in_currency
from integration.customer_view.projections import (
    Incoming,
    customer_currencies,
    event_version,
    reduce_newest,
    upsert_entities,
)
from integration.customer_view.registry import (
    Batch,
    applier,
    register_aggregate,
    register_entity_model,
    watch,
)
from integration.models import CustomerContract, CustomerOrder, CustomerQuote, Event

for _model in (CustomerOrder, CustomerQuote, CustomerContract):
    register_entity_model(_model)

# Price lists and other sales events change no figure; any about a customer makes it fresher.
watch("sales.*")

# Order statuses that count for orders_count/orders_total/top_products, and the open ones.
COUNTED_ORDER_STATUSES = ("confirmed", "partially_shipped", "shipped", "closed")
OPEN_ORDER_STATUSES = ("confirmed", "partially_shipped")
TOP_PRODUCTS = 5

QUANTITY = Decimal("0.001")
MONEY = Decimal("0.01")


def _datetime(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def _date(value: str | None) -> date | None:
    return parse_date(value) if value else None


def _money(value: str | None) -> Decimal:
    return Decimal(value) if value not in (None, "") else Decimal("0.00")


# ---------------------------------------------------------------- orders


@applier("sales.order.*")
def apply_orders(events: list[Event], batch: Batch) -> None:
    items = []
    for event in events:
        data = event.data
        fields = {
            "number": data["number"],
            "status": data["status"],
            "currency": data["currency"],
            "subtotal": _money(data.get("subtotal")),
            "tax_total": _money(data.get("tax_total")),
            "total": _money(data.get("total")),
            "confirmed_at": _datetime(data.get("confirmed_at")),
            "lines": [_order_line(line) for line in data.get("lines") or []],
        }
        items.append(
            (data["order_id"], Incoming(event_version(event), False, data["account_id"], fields))
        )
    upsert_entities(CustomerOrder, reduce_newest(items), batch)


def _order_line(line: dict[str, Any]) -> dict[str, Any]:
    """The part of an event's order line the view keeps (what the figures and page read)."""
    return {
        "line_id": line.get("line_id"),
        "product_id": line.get("product_id"),
        "sku": line.get("sku") or "",
        "name": line.get("name") or "",
        "quantity": line.get("quantity") or "0",
        "quantity_shipped": line.get("quantity_shipped") or "0",
        "unit_price": line.get("unit_price") or "0",
        "line_total": line.get("line_total") or "0",
    }


# ---------------------------------------------------------------- quotes


@applier("sales.quote.*")
def apply_quotes(events: list[Event], batch: Batch) -> None:
    items = []
    for event in events:
        data = event.data
        fields = {
            "number": data["number"],
            "status": data["status"],
            "currency": data["currency"],
            "total": _money(data.get("total")),
            "valid_until": _date(data.get("valid_until")),
            "order_id": data.get("order_id"),
        }
        items.append(
            (data["quote_id"], Incoming(event_version(event), False, data["account_id"], fields))
        )
    upsert_entities(CustomerQuote, reduce_newest(items), batch)


# ---------------------------------------------------------------- contracts


@applier("sales.contract.*")
def apply_contracts(events: list[Event], batch: Batch) -> None:
    items = []
    for event in events:
        data = event.data
        fields = {
            "number": data["number"],
            "title": data.get("title") or "",
            "status": data["status"],
            "start_date": _date(data.get("start_date")),
            "end_date": _date(data.get("end_date")),
            "value": _money(data.get("value")),
            "currency": data["currency"],
            "auto_renew": bool(data.get("auto_renew")),
        }
        items.append(
            (data["contract_id"], Incoming(event_version(event), False, data["account_id"], fields))
        )
    upsert_entities(CustomerContract, reduce_newest(items), batch)


# ---------------------------------------------------------------- figures


def top_products(orders: Iterable[tuple[int, Iterable[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Up to 5 products by quantity over the given (order id, lines) of one customer.

    Lines carry product_id, sku, name, quantity and line_total (decimal strings or Decimals).
    Ties go to the lower product id; sku and name are those of the newest order (highest id)
    that has the product. Quantities and totals come back as fixed-point decimal strings.
    Shared with sales/facts.py, so that the view and the checker rank the same way.
    """
    ranked: dict[int, dict[str, Any]] = {}
    for order_id, lines in orders:
        for line in lines:
            product_id = line.get("product_id")
            if product_id is None:
                continue
            entry = ranked.setdefault(
                product_id,
                {
                    "quantity": Decimal(0),
                    "total": Decimal(0),
                    "order_id": -1,
                    "sku": "",
                    "name": "",
                },
            )
            entry["quantity"] += Decimal(str(line["quantity"]))
            entry["total"] += Decimal(str(line["line_total"]))
            if order_id > entry["order_id"]:
                entry.update(
                    order_id=order_id, sku=line.get("sku") or "", name=line.get("name") or ""
                )
    best = sorted(ranked.items(), key=lambda item: (-item[1]["quantity"], item[0]))[:TOP_PRODUCTS]
    return [
        {
            "product_id": product_id,
            "sku": entry["sku"],
            "name": entry["name"],
            "quantity": str(entry["quantity"].quantize(QUANTITY)),
            "total": str(entry["total"].quantize(MONEY)),
        }
        for product_id, entry in best
    ]


def _orders(account_filter: dict[str, Any]) -> dict[int, dict[str, Any]]:
    counted = CustomerOrder.objects.filter(
        deleted=False, status__in=COUNTED_ORDER_STATUSES, **account_filter
    )
    rows = (
        counted.values("account_id", "currency")
        .annotate(
            n=Count("pk"),
            total=Sum("total"),
            open_n=Count("pk", filter=Q(status__in=OPEN_ORDER_STATUSES)),
            last=Max("confirmed_at"),
        )
        .order_by()
    )
    currencies = customer_currencies(account_filter)
    figures = {}
    for account_id, groups in by_account(rows).items():
        totals = by_currency((r["currency"], r["total"]) for r in groups)
        figures[account_id] = {
            "orders_count": sum(r["n"] for r in groups),
            "orders_total": in_currency(totals, currencies.get(account_id, "")),
            "orders_total_by_currency": totals,
            "open_orders_count": sum(r["open_n"] for r in groups),
            "last_order_at": max((r["last"] for r in groups if r["last"]), default=None),
        }
    lines: dict[int, list[tuple[int, list[dict[str, Any]]]]] = {}
    for account_id, order_id, order_lines in counted.order_by().values_list(
        "account_id", "order_id", "lines"
    ):
        lines.setdefault(account_id, []).append((order_id, order_lines))
    for account_id, orders in lines.items():
        figures[account_id]["top_products"] = top_products(orders)
    return figures


register_aggregate(
    "sales.orders",
    defaults={
        "orders_count": 0,
        "orders_total": Decimal("0.00"),
        "orders_total_by_currency": {},
        "open_orders_count": 0,
        "last_order_at": None,
        "top_products": [],
    },
    compute=_orders,
)
