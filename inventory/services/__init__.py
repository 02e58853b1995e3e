"""Inventory services: every write to stock, catalogue and purchasing, published as events.

    from inventory import services
    services.stock_reserve(lines=[services.ReserveLine(p.pk, w.pk, Decimal("1"))],
                           reference="sales.order:42")

Split by concept; everything public is re-exported here, so callers import this package.
"""

from integration.rounding import round_money, round_quantity
from inventory.services.catalogue import (
    category_create,
    category_update,
    location_create,
    product_create,
    product_delete,
    product_update,
    warehouse_create,
    warehouse_make_default,
    warehouse_update,
)
from inventory.services.purchasing import (
    po_reference,
    purchase_order_cancel,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_send,
    purchase_order_update,
    reorder_propose,
    reorder_rule_create,
    reorder_rule_delete,
    reorder_rule_update,
    supplier_create,
    supplier_price_for,
    supplier_price_set,
    supplier_update,
)
from inventory.services.stock import (
    ReserveLine,
    stock_adjust,
    stock_fulfil,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_transfer,
)

__all__ = [
    "ReserveLine",
    "category_create",
    "category_update",
    "location_create",
    "po_reference",
    "product_create",
    "product_delete",
    "product_update",
    "purchase_order_cancel",
    "purchase_order_create",
    "purchase_order_receive",
    "purchase_order_send",
    "purchase_order_update",
    "reorder_propose",
    "reorder_rule_create",
    "reorder_rule_delete",
    "reorder_rule_update",
    "round_money",
    "round_quantity",
    "stock_adjust",
    "stock_fulfil",
    "stock_receive",
    "stock_release",
    "stock_reserve",
    "stock_transfer",
    "supplier_create",
    "supplier_price_for",
    "supplier_price_set",
    "supplier_update",
    "warehouse_create",
    "warehouse_make_default",
    "warehouse_update",
]
