"""Inventory and purchasing: warehouses, stock, suppliers, purchase orders."""
