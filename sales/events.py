"""Sales event types, their schemas, and the functions that build their data.

Every event carries the whole document (event-carried state: header, totals and lines),
so the 360° view and webhooks need nothing else. `customer_id` is the document's account.
Money, quantities and percents are decimal strings ("10.00", "1.000", "24.00").
"""

from __future__ import annotations

from typing import Any

from integration.events import register_event_type
from sales.models import Contract, OrderLine, Quote, QuoteLine, SalesOrder
from sales.rounding import decimal_text

ID = {"type": "integer"}
NULLABLE_ID = {"type": ["integer", "null"]}
TEXT = {"type": "string"}
MONEY = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
QUANTITY = {"type": "string", "pattern": r"^-?\d+\.\d{3}$"}
PERCENT = MONEY
DATETIME = {"type": ["string", "null"], "format": "date-time"}
DATE = {"type": "string", "format": "date"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}


def _object(properties: dict[str, Any], *, required: list[str] | None = None) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


ORDER_LINE = _object(
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
    "status": {"enum": [c.value for c in SalesOrder.Status]},
    "currency": TEXT,
    "subtotal": MONEY,
    "tax_total": MONEY,
    "total": MONEY,
    "confirmed_at": DATETIME,
    "lines": _array(ORDER_LINE),
}
ORDER = _object(ORDER_PROPERTIES)
SHIPMENT_LINE = _object({"product_id": ID, "sku": TEXT, "quantity": QUANTITY})
ORDER_SHIPPED = _object({**ORDER_PROPERTIES, "shipment": _object({"lines": _array(SHIPMENT_LINE)})})

QUOTE_LINE = _object(
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
QUOTE = _object(
    {
        "quote_id": ID,
        "number": TEXT,
        "account_id": ID,
        "contact_id": NULLABLE_ID,
        "opportunity_id": NULLABLE_ID,
        "status": {"enum": [c.value for c in Quote.Status]},
        "currency": TEXT,
        "subtotal": MONEY,
        "tax_total": MONEY,
        "total": MONEY,
        "valid_until": NULLABLE_DATE,
        "order_id": NULLABLE_ID,
        "lines": _array(QUOTE_LINE),
    }
)
CONTRACT = _object(
    {
        "contract_id": ID,
        "number": TEXT,
        "account_id": ID,
        "title": TEXT,
        "status": {"enum": [c.value for c in Contract.Status]},
        "start_date": DATE,
        "end_date": DATE,
        "value": MONEY,
        "currency": TEXT,
        "auto_renew": {"type": "boolean"},
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

for _name, _schema, _description in _TYPES:
    register_event_type(_name, schema=_schema, description=_description)


# ---------------------------------------------------------------- payloads


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value) -> str:
    return decimal_text(value, 2)


def _qty(value) -> str:
    return decimal_text(value, 3)


def _line_common(line: QuoteLine | OrderLine) -> dict[str, Any]:
    product = line.product
    return {
        "line_id": line.pk,
        "product_id": line.product_id,
        "sku": product.sku,
        "name": product.name,
        "quantity": _qty(line.quantity),
        "unit_price": _money(line.unit_price),
        "discount_percent": _money(line.discount_percent),
        "tax_rate": _money(line.tax_rate),
        "line_total": _money(line.line_total),
    }


def order_data(order: SalesOrder, lines: list[OrderLine]) -> dict[str, Any]:
    """`lines` with their products loaded (the service has them at hand)."""
    return {
        "order_id": order.pk,
        "number": order.number,
        "account_id": order.account_id,
        "status": order.status,
        "currency": order.currency,
        "subtotal": _money(order.subtotal),
        "tax_total": _money(order.tax_total),
        "total": _money(order.total),
        "confirmed_at": _iso(order.confirmed_at),
        "lines": [
            {**_line_common(line), "quantity_shipped": _qty(line.quantity_shipped)}
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
        "subtotal": _money(quote.subtotal),
        "tax_total": _money(quote.tax_total),
        "total": _money(quote.total),
        "valid_until": _iso(quote.valid_until),
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
        "value": _money(contract.value),
        "currency": contract.currency,
        "auto_renew": contract.auto_renew,
    }
