"""Catalogue services: categories, products and warehouses (with their default location)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from integration.changes import field_error, lock_version, save_changes
from integration.events import publish
from inventory.errors import ProductInUse
from inventory.events import product_data
from inventory.models import Category, Location, Product, Warehouse
from inventory.services.base import assign

DEFAULT_LOCATION_CODE = "STOCK"


def _publish_product(event_type: str, product: Product, actor: Any) -> None:
    publish(event_type, subject=product, data=product_data(product), actor=actor)


@transaction.atomic
def category_create(*, name: str, parent: Category | None = None) -> Category:
    category = Category(name=(name or "").strip(), parent=parent)
    category.full_clean()
    category.save()
    return category


@transaction.atomic
def category_update(*, category: Category, **fields: Any) -> Category:
    assign(category, fields)
    # No cycles: the new parent must not be the category or one of its descendants.
    seen = {category.pk}
    parent_id = category.parent_id
    while parent_id is not None:
        if parent_id in seen:
            raise field_error("parent", "A category cannot be its own parent or ancestor.")
        seen.add(parent_id)
        parent_id = (
            Category.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
        )
    category.full_clean()
    category.save()
    return category


@transaction.atomic
def product_create(*, sku: str, name: str, actor: Any = None, **fields: Any) -> Product:
    product = Product(sku=(sku or "").strip(), name=(name or "").strip())
    assign(product, fields)
    product.full_clean()
    product.save()
    _publish_product("inventory.product.created", product, actor)
    return product


@transaction.atomic
def product_update(*, product: Product, actor: Any = None, **fields: Any) -> Product:
    """Change editable fields; `cost` is the average cost and moves with receipts only."""
    if "sku" in fields:
        fields["sku"] = (fields["sku"] or "").strip()
    changed = assign(product, fields, forbidden=("cost",))
    if not changed:
        return product
    product.full_clean()
    lock_version(product)
    save_changes(product, changed)
    _publish_product("inventory.product.updated", product, actor)
    return product


@transaction.atomic
def product_delete(*, product: Product, actor: Any = None) -> None:
    """Delete a product nobody has used yet; one with history is deactivated instead."""
    if (
        product.stock_moves.exists()
        or product.purchase_order_lines.exists()
        or product.reservations.exists()
    ):
        raise ProductInUse()
    # Other apps' documents (sales lines) protect the product through their foreign keys.
    from django.db.models import ProtectedError

    try:
        with transaction.atomic():
            product.warehouse_stock.all().delete()
            product.balances.all().delete()
            product.delete()
    except ProtectedError:
        raise ProductInUse() from None


@transaction.atomic
def warehouse_create(*, code: str, name: str, actor: Any = None, **fields: Any) -> Warehouse:
    """Create a warehouse and its default stock location; the first one is the default."""
    warehouse = Warehouse(code=(code or "").strip().upper(), name=(name or "").strip())
    assign(warehouse, fields, forbidden=("is_default",))
    # Lock the table's default row (if any) so two first warehouses cannot both be default.
    has_default = Warehouse.objects.select_for_update().filter(is_default=True).exists()
    warehouse.is_default = not has_default
    warehouse.full_clean()
    warehouse.save()
    Location.objects.create(
        warehouse=warehouse, code=DEFAULT_LOCATION_CODE, name="Stock", is_default=True
    )
    return warehouse


@transaction.atomic
def warehouse_update(*, warehouse: Warehouse, actor: Any = None, **fields: Any) -> Warehouse:
    if "code" in fields:
        fields["code"] = (fields["code"] or "").strip().upper()
    changed = assign(warehouse, fields, forbidden=("is_default",))
    if not changed:
        return warehouse
    if "active" in changed and not warehouse.active and warehouse.is_default:
        raise field_error("active", "The default warehouse cannot be deactivated.")
    warehouse.full_clean()
    lock_version(warehouse)
    save_changes(warehouse, changed)
    return warehouse


@transaction.atomic
def warehouse_make_default(*, warehouse: Warehouse, actor: Any = None) -> Warehouse:
    if not warehouse.active:
        raise field_error("is_default", "An inactive warehouse cannot be the default.")
    Warehouse.objects.select_for_update().filter(is_default=True).exclude(pk=warehouse.pk).update(
        is_default=False
    )
    Warehouse.objects.filter(pk=warehouse.pk).update(is_default=True)
    warehouse.is_default = True
    return warehouse


@transaction.atomic
def location_create(*, warehouse: Warehouse, code: str, name: str = "") -> Location:
    location = Location(
        warehouse=warehouse, code=(code or "").strip().upper(), name=(name or code).strip()
    )
    location.full_clean()
    location.save()
    return location
