"""Inventory and purchasing models: catalogue, warehouses, the stock ledger, purchasing.

Split by concept; everything is re-exported here, so callers import `inventory.models`.
"""

from inventory.models.catalogue import Category, Product, default_currency
from inventory.models.purchasing import (
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    Supplier,
    SupplierPrice,
)
from inventory.models.stock import (
    Location,
    Reservation,
    StockBalance,
    StockMove,
    Warehouse,
    WarehouseStock,
)

__all__ = [
    "Category",
    "Location",
    "Product",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "ReorderRule",
    "Reservation",
    "StockBalance",
    "StockMove",
    "Supplier",
    "SupplierPrice",
    "Warehouse",
    "WarehouseStock",
    "default_currency",
]
