"""Builders for inventory tests: everything through inventory.services, so the ledger, the
balance tables and the events agree."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from inventory import services
from inventory.models import Product, PurchaseOrder, Supplier, Warehouse
from inventory.selectors import default_warehouse

_seq = itertools.count(1)


def warehouse(code: str | None = None, name: str = "Warehouse", **fields: Any) -> Warehouse:
    n = next(_seq)
    return services.warehouse_create(code=code or f"WH{n}", name=f"{name} {n}", **fields)


def main_warehouse() -> Warehouse:
    return default_warehouse() or warehouse("MAIN", "Main")


def product(
    *,
    stock: Decimal | int | str | None = None,
    in_warehouse: Warehouse | None = None,
    unit_cost: str | None = None,
    sku: str | None = None,
    **fields: Any,
) -> Product:
    """A product (sales price 10.00 unless given) with `stock` received into a warehouse."""
    n = next(_seq)
    fields.setdefault("sales_price", Decimal("10.00"))
    item = services.product_create(sku=sku or f"SKU-{n:05d}", name=f"Product {n}", **fields)
    if stock:
        services.stock_receive(
            product=item,
            warehouse=in_warehouse or main_warehouse(),
            quantity=Decimal(str(stock)),
            unit_cost=Decimal(unit_cost) if unit_cost else None,
        )
    return item


def supplier(**fields: Any) -> Supplier:
    n = next(_seq)
    fields.setdefault("code", f"SUP{n}")
    fields.setdefault("name", f"Supplier {n} Oy")
    return services.supplier_create(**fields)


def purchase_order(
    *,
    lines: list[tuple[Product, str, str]],
    vendor: Supplier | None = None,
    into: Warehouse | None = None,
    send: bool = False,
) -> PurchaseOrder:
    """A draft (or sent) purchase order; lines are (product, quantity, unit price)."""
    order = services.purchase_order_create(
        supplier=vendor or supplier(),
        warehouse=into or main_warehouse(),
        lines=[
            {"product": item, "quantity": Decimal(q), "unit_price": Decimal(price)}
            for item, q, price in lines
        ],
    )
    if send:
        order = services.purchase_order_send(order=order)
    return order
