"""Inventory event types, their schemas, and the functions that build their data.

Payloads carry the whole state a consumer needs (event-carried state): quantities and
money as decimal strings, ids as integers.
"""

from __future__ import annotations

from typing import Any

from integration.event_schemas import (
    BOOL,
    ID,
    MONEY,
    NULLABLE_ID,
    QUANTITY,
    TEXT,
    array_schema,
    enum_schema,
    object_schema,
    register_event_types,
)
from integration.event_schemas import money_text as money
from integration.event_schemas import quantity_text as qty
from inventory.models import Product, PurchaseOrder, Warehouse, WarehouseStock

PRODUCT = object_schema(
    {
        "id": ID,
        "sku": TEXT,
        "name": TEXT,
        "category_id": NULLABLE_ID,
        "uom": TEXT,
        "sales_price": MONEY,
        "currency": TEXT,
        "cost": MONEY,
        "tax_rate": MONEY,
        "tracked": BOOL,
        "active": BOOL,
        "barcode": TEXT,
    }
)
STOCK = object_schema(
    {
        "product_id": ID,
        "sku": TEXT,
        "warehouse_id": ID,
        "warehouse_code": TEXT,
        "on_hand": QUANTITY,
        "reserved": QUANTITY,
        "available": QUANTITY,
        "reference": TEXT,
    }
)
STOCK_LOW = object_schema(
    {
        "product_id": ID,
        "sku": TEXT,
        "warehouse_id": ID,
        "warehouse_code": TEXT,
        "available": QUANTITY,
        "min_qty": QUANTITY,
        "max_qty": QUANTITY,
    }
)
PURCHASE_ORDER = object_schema(
    {
        "id": ID,
        "number": TEXT,
        "supplier_id": ID,
        "supplier_name": TEXT,
        "warehouse_id": ID,
        "status": enum_schema(PurchaseOrder.Status),
        "source": enum_schema(PurchaseOrder.Source),
        "currency": TEXT,
        "subtotal": MONEY,
        "total": MONEY,
        "lines": array_schema(
            object_schema(
                {
                    "line_id": ID,
                    "product_id": ID,
                    "sku": TEXT,
                    "quantity": QUANTITY,
                    "quantity_received": QUANTITY,
                    "unit_price": MONEY,
                    "line_total": MONEY,
                }
            )
        ),
        # On purchase_order.received: what this receipt brought in.
        "receipt": {
            "type": ["array", "null"],
            "items": object_schema({"product_id": ID, "sku": TEXT, "quantity": QUANTITY}),
        },
    }
)

_TYPES: list[tuple[str, dict, str]] = [
    ("inventory.product.created", PRODUCT, "A product was added to the catalogue."),
    ("inventory.product.updated", PRODUCT, "A product's details, price or cost changed."),
    (
        "inventory.stock.changed",
        STOCK,
        "A product's on-hand or reserved stock in a warehouse changed (figures after it).",
    ),
    (
        "inventory.stock.low",
        STOCK_LOW,
        "A product's available stock in a warehouse fell below its reorder rule's minimum.",
    ),
    ("inventory.purchase_order.created", PURCHASE_ORDER, "A purchase order was drafted."),
    ("inventory.purchase_order.updated", PURCHASE_ORDER, "A draft purchase order changed."),
    ("inventory.purchase_order.sent", PURCHASE_ORDER, "A purchase order was sent to its supplier."),
    (
        "inventory.purchase_order.received",
        PURCHASE_ORDER,
        "Goods of a purchase order were received (fully or partly); `receipt` says what.",
    ),
    ("inventory.purchase_order.cancelled", PURCHASE_ORDER, "A purchase order was cancelled."),
]

register_event_types(_TYPES)


# ---------------------------------------------------------------- payloads


def product_data(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "sku": product.sku,
        "name": product.name,
        "category_id": product.category_id,
        "uom": product.uom,
        "sales_price": money(product.sales_price),
        "currency": product.currency,
        "cost": money(product.cost),
        "tax_rate": money(product.tax_rate),
        "tracked": product.tracked,
        "active": product.active,
        "barcode": product.barcode,
    }


def stock_data(
    stock: WarehouseStock, *, product: Product, warehouse: Warehouse, reference: str
) -> dict[str, Any]:
    return {
        "product_id": product.pk,
        "sku": product.sku,
        "warehouse_id": warehouse.pk,
        "warehouse_code": warehouse.code,
        "on_hand": qty(stock.on_hand),
        "reserved": qty(stock.reserved),
        "available": qty(stock.on_hand - stock.reserved),
        "reference": reference,
    }


def purchase_order_data(
    order: PurchaseOrder, *, receipt: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Needs `supplier` and `lines__product` loaded or loadable."""
    return {
        "id": order.pk,
        "number": order.number,
        "supplier_id": order.supplier_id,
        "supplier_name": order.supplier.name,
        "warehouse_id": order.warehouse_id,
        "status": order.status,
        "source": order.source,
        "currency": order.currency,
        "subtotal": money(order.subtotal),
        "total": money(order.total),
        "lines": [
            {
                "line_id": line.pk,
                "product_id": line.product_id,
                "sku": line.product.sku,
                "quantity": qty(line.quantity),
                "quantity_received": qty(line.quantity_received),
                "unit_price": money(line.unit_price),
                "line_total": money(line.line_total),
            }
            for line in order.lines.all()
        ],
        "receipt": receipt,
    }
