"""Builders for sales tests: stock through inventory's services (so the ledger and balances
agree), documents through sales.services."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from crm.models import Account
from inventory import services as inventory
from inventory.models import Product, Warehouse
from inventory.selectors import default_warehouse
from sales import services
from sales.models import SalesOrder

_seq = itertools.count(1)


def make_warehouse(code: str | None = None, name: str = "Main") -> Warehouse:
    n = next(_seq)
    return inventory.warehouse_create(code=code or f"WH{n}", name=f"{name} {n}")


def the_warehouse() -> Warehouse:
    return default_warehouse() or make_warehouse("MAIN")


def make_product(
    *,
    stock: Decimal | int | str | None = None,
    warehouse: Warehouse | None = None,
    price: str = "10.00",
    tax_rate: str = "0.00",
    sku: str | None = None,
    **fields: Any,
) -> Product:
    """A product with `price` and `tax_rate`, and `stock` received into `warehouse`."""
    n = next(_seq)
    product = inventory.product_create(
        sku=sku or f"SKU-{n}",
        name=fields.pop("name", f"Product {n}"),
        sales_price=Decimal(price),
        tax_rate=Decimal(tax_rate),
        **fields,
    )
    if stock:
        inventory.stock_receive(
            product=product, warehouse=warehouse or the_warehouse(), quantity=Decimal(stock)
        )
    return product


def make_account(name: str | None = None, **fields: Any) -> Account:
    from crm import services as crm

    return crm.account_create(name=name or f"Customer {next(_seq)} Oy", **fields)


def make_order(account: Account, *lines: tuple[Product, str] | dict, **kwargs: Any) -> SalesOrder:
    """A draft order; lines as (product, quantity) pairs or service line dicts."""
    kwargs.setdefault("warehouse", the_warehouse())
    return services.order_create(
        account=account,
        lines=[
            line if isinstance(line, dict) else {"product": line[0], "quantity": Decimal(line[1])}
            for line in lines
        ],
        **kwargs,
    )
