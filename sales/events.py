"""Sales event types, their schemas, and the functions that build their data.

Every event carries the whole document (event-carried state: header, totals and lines),
so the 360° view and webhooks need nothing else. `customer_id` is the document's account.
Money, quantities and percents are decimal strings ("10.00", "1.000", "24.00").
"""

from __future__ import annotations

from typing import Any

from integration.event_schemas import (
    BOOL,
    DATE,
    DATETIME,
    ID,
    MONEY,
    NULLABLE_DATE,
    NULLABLE_ID,
    PERCENT,
    QUANTITY,
    TEXT,
    array_schema,
    enum_schema,
    iso,
    money_text,
    object_schema,
    quantity_text,
    register_event_types,
)
from sales.models import Contract, OrderLine, Quote, QuoteLine, SalesOrder

ORDER_LINE = object_schema(
    {
        "line_id": ID,
        "product_id": ID,
        "sku": TEXT,
        "name": TEXT,
        "quantity": QUANTITY,
        "quantity_shipped": QUANTITY,
        "unit_price": MONEY,
        "discount_percent": PERCENT,
        "tax_rate": PERCENT,
        "line_total": MONEY,
    }
)
ORDER_PROPERTIES = {
    "order_id": ID,
    "number": TEXT,
    "account_id": ID,
    "status": enum_schema(SalesOrder.Status),
    "currency": TEXT,
    "subtotal": MONEY,
    "tax_total": MONEY,
    "total": MONEY,
    "confirmed_at": DATETIME,
    "lines": array_schema(ORDER_LINE),
}
ORDER = object_schema(ORDER_PROPERTIES)
SHIPMENT_LINE = object_schema({"product_id": ID, "sku": TEXT, "quantity": QUANTITY})
ORDER_SHIPPED = object_schema(
    {**ORDER_PROPERTIES, "shipment": object_schema({"lines": array_schema(SHIPMENT_LINE)})}
)

QUOTE_LINE = object_schema(
    {
        "line_id": ID,
        "product_id": ID,
        "sku": TEXT,
        "name": TEXT,
        "description": TEXT,
        "quantity": QUANTITY,
        "unit_price": MONEY,
        "discount_percent": PERCENT,
        "tax_rate": PERCENT,
        "line_total": MONEY,
    }
)
QUOTE = object_schema(
    {
        "quote_id": ID,
        "number": TEXT,
        "account_id": ID,
        "contact_id": NULLABLE_ID,
        "opportunity_id": NULLABLE_ID,
        "status": enum_schema(Quote.Status),
        "currency": TEXT,
        "subtotal": MONEY,
        "tax_total": MONEY,
        "total": MONEY,
        "valid_until": NULLABLE_DATE,
        "order_id": NULLABLE_ID,
        "lines": array_schema(QUOTE_LINE),
    }
)
CONTRACT = object_schema(
    {
        "contract_id": ID,
        "number": TEXT,
        "account_id": ID,
        "title": TEXT,
        "status": enum_schema(Contract.Status),
        "start_date": DATE,
        "end_date": DATE,
        "value": MONEY,
        "currency": TEXT,
        "auto_renew": BOOL,
    }
)

_TYPES: list[tuple[str, dict, str]] = [
    ("sales.quote.created", QUOTE, "A quote was drafted."),
    ("sales.quote.updated", QUOTE, "A draft quote's details or lines changed."),
    ("sales.quote.sent", QUOTE, "A quote was sent to the customer."),
    ("sales.quote.accepted", QUOTE, "A quote was accepted; `order_id` is the order it became."),
    ("sales.quote.rejected", QUOTE, "The customer rejected a quote."),
    ("sales.quote.expired", QUOTE, "A quote passed its validity date unanswered."),
    ("sales.order.created", ORDER, "A sales order was drafted."),
    ("sales.order.updated", ORDER, "A draft sales order's details or lines changed."),
    ("sales.order.confirmed", ORDER, "A sales order was confirmed: its stock is reserved."),
    (
        "sales.order.shipped",
        ORDER_SHIPPED,
        "Goods of a sales order were shipped (all or part); `shipment` says what went.",
    ),
    ("sales.order.cancelled", ORDER, "A sales order was cancelled; its reservations released."),
    ("sales.order.closed", ORDER, "A shipped sales order was closed."),
    ("sales.contract.created", CONTRACT, "A contract was recorded."),
    ("sales.contract.updated", CONTRACT, "A contract's terms changed."),
    (
        "sales.contract.renewal_due",
        CONTRACT,
        "A contract ends within 30 days: time to renew (published once per contract end).",
    ),
    ("sales.contract.ended", CONTRACT, "A contract ended."),
]

register_event_types(_TYPES)


# ---------------------------------------------------------------- payloads


def _line_common(line: QuoteLine | OrderLine) -> dict[str, Any]:
    product = line.product
    return {
        "line_id": line.pk,
        "product_id": line.product_id,
        "sku": product.sku,
        "name": product.name,
        "quantity": quantity_text(line.quantity),
        "unit_price": money_text(line.unit_price),
        "discount_percent": money_text(line.discount_percent),
        "tax_rate": money_text(line.tax_rate),
        "line_total": money_text(line.line_total),
    }


def order_data(order: SalesOrder, lines: list[OrderLine]) -> dict[str, Any]:
    """`lines` with their products loaded (the service has them at hand)."""
    return {
        "order_id": order.pk,
        "number": order.number,
        "account_id": order.account_id,
        "status": order.status,
        "currency": order.currency,
        "subtotal": money_text(order.subtotal),
        "tax_total": money_text(order.tax_total),
        "total": money_text(order.total),
        "confirmed_at": iso(order.confirmed_at),
        "lines": [
            {**_line_common(line), "quantity_shipped": quantity_text(line.quantity_shipped)}
            for line in lines
        ],
    }


def quote_data(quote: Quote, lines: list[QuoteLine]) -> dict[str, Any]:
    return {
        "quote_id": quote.pk,
        "number": quote.number,
        "account_id": quote.account_id,
        "contact_id": quote.contact_id,
        "opportunity_id": quote.opportunity_id,
        "status": quote.status,
        "currency": quote.currency,
        "subtotal": money_text(quote.subtotal),
        "tax_total": money_text(quote.tax_total),
        "total": money_text(quote.total),
        "valid_until": iso(quote.valid_until),
        "order_id": quote.order_id,
        "lines": [{**_line_common(line), "description": line.description} for line in lines],
    }


def contract_data(contract: Contract) -> dict[str, Any]:
    return {
        "contract_id": contract.pk,
        "number": contract.number,
        "account_id": contract.account_id,
        "title": contract.title,
        "status": contract.status,
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
        "value": money_text(contract.value),
        "currency": contract.currency,
        "auto_renew": contract.auto_renew,
    }
