"""Inventory domain errors: business-rule conflicts with stable codes (see integration.errors)."""

from __future__ import annotations

from typing import Any

from integration.errors import DomainError


class InsufficientStock(DomainError):
    """Not enough available stock; `lines` names each short product.

    lines: [{"product": id, "sku": str, "warehouse": id, "requested": "1.000",
             "available": "0.000"}]
    """

    code = "insufficient_stock"
    default_detail = "Not enough stock is available."

    def __init__(self, detail: str | None = None, *, lines: list[dict[str, Any]]) -> None:
        super().__init__(detail, lines=lines)
        self.lines = lines


class OverFulfilment(DomainError):
    code = "over_fulfilment"
    default_detail = "More would be delivered than is reserved for this document."


class StockBelowReserved(DomainError):
    code = "stock_below_reserved"
    default_detail = "On-hand stock cannot go below what is reserved (or below zero)."


class InvalidStatus(DomainError):
    code = "invalid_status"
    default_detail = "This is not allowed in the document's current status."


class OverReceipt(DomainError):
    code = "over_receipt"
    default_detail = "More would be received than was ordered."


class NoDefaultWarehouse(DomainError):
    code = "no_default_warehouse"
    default_detail = "No warehouse exists yet: create one first."


class InactiveWarehouse(DomainError):
    code = "inactive_warehouse"
    default_detail = "The warehouse is inactive."


class ProductInUse(DomainError):
    code = "product_in_use"
    default_detail = "The product has stock history or documents: deactivate it instead."


class WarehouseInUse(DomainError):
    code = "warehouse_in_use"
    default_detail = "The warehouse has stock history or documents: deactivate it instead."
