"""Reads only the sales pages need: list filters on top of sales.selectors, the product picker,
and stock figures beside an order's lines. Shared reads stay in sales/selectors.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from inventory.models import Product
from inventory.selectors import StockLevel, product_search_q, stock_levels
from sales import selectors
from sales.models import Contract, Quote, SalesOrder


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def quote_rows(*, search: str, filters: dict[str, Any]) -> QuerySet[Quote]:
    qs = selectors.quote_list(search=search).prefetch_related(None).select_related(None)
    qs = qs.select_related("account", "owner")
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs


def order_rows(*, search: str, filters: dict[str, Any]) -> QuerySet[SalesOrder]:
    qs = selectors.order_list(search=search).prefetch_related(None).select_related(None)
    qs = qs.select_related("account", "warehouse")
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("confirmed_from"):
        qs = qs.filter(confirmed_at__gte=_start_of(filters["confirmed_from"]))
    if filters.get("confirmed_to"):
        qs = qs.filter(confirmed_at__lt=_start_of(filters["confirmed_to"] + dt.timedelta(days=1)))
    return qs


def contract_rows(*, search: str, filters: dict[str, Any]) -> QuerySet[Contract]:
    qs = selectors.contract_list(search=search)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("ends_before"):
        qs = qs.filter(end_date__lt=filters["ends_before"])
    return qs


def product_matches(search: str) -> QuerySet[Product]:
    """Active products by SKU, barcode or name, SKU order: the line editor's picker."""
    qs = Product.objects.filter(active=True).only("id", "sku", "name").order_by("sku", "id")
    term = search.strip()
    if term:
        qs = qs.filter(product_search_q(term))
    return qs


def products_by_id(ids: list[int]) -> dict[int, Product]:
    return Product.objects.filter(pk__in=ids).in_bulk()


def line_stock(lines: list, warehouse_id: int) -> dict[int, StockLevel]:
    """Stock of the lines' tracked products in the order's warehouse."""
    ids = sorted({line.product_id for line in lines if line.product.tracked})
    return stock_levels(product_ids=ids, warehouse_id=warehouse_id) if ids else {}
