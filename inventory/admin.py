"""Admin of inventory: every model registered; writes go through services or are read-only.

The stock ledger and the balances derived from it are read-only here: stock changes are
posted as moves (pages, API), never edited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model

from integration.admin_base import ReadOnlyAdmin, ReadOnlyInline, apply_each, error_text
from integration.admin_base import ServiceAdmin as BaseServiceAdmin
from integration.errors import DomainError
from integration.events import acting_as
from inventory import services
from inventory.models import (
    Category,
    Location,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    Reservation,
    StockBalance,
    StockMove,
    Supplier,
    SupplierPrice,
    Warehouse,
    WarehouseStock,
)


class ServiceAdmin(BaseServiceAdmin):
    """Saves through inventory.services; what has no delete service is deactivated instead."""

    def delete(self, obj: Model) -> None:
        raise DomainError("Deactivate it instead of deleting it.")


# ---------------------------------------------------------------- catalogue


@admin.register(Category)
class CategoryAdmin(ServiceAdmin):
    list_display = ("name", "parent")
    search_fields = ("name",)
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)

    def create(self, request, data):
        return services.category_create(**data)

    def update(self, obj, data):
        return services.category_update(category=obj, **data)

    def delete(self, obj):
        if obj.children.exists() or obj.products.exists():
            raise DomainError("The category has subcategories or products.")
        obj.delete()


class WarehouseStockInline(ReadOnlyInline):
    model = WarehouseStock
    fields = ("warehouse", "on_hand", "reserved")
    readonly_fields = fields


@admin.register(Product)
class ProductAdmin(ServiceAdmin):
    list_display = (
        "sku",
        "name",
        "category",
        "sales_price",
        "currency",
        "cost",
        "tracked",
        "active",
    )
    list_filter = ("active", "tracked", "category")
    search_fields = ("sku", "name", "barcode")
    list_select_related = ("category",)
    autocomplete_fields = ("category",)
    readonly_fields = ("cost", "version", "created_at", "updated_at")
    inlines = (WarehouseStockInline,)

    def create(self, request, data):
        return services.product_create(actor=request.user, **data)

    def update(self, obj, data):
        return services.product_update(product=obj, **data)

    def delete(self, obj):
        services.product_delete(product=obj)


class LocationInline(ReadOnlyInline):
    model = Location
    fields = ("code", "name", "is_default")
    readonly_fields = fields


@admin.register(Warehouse)
class WarehouseAdmin(ServiceAdmin):
    list_display = ("code", "name", "is_default", "active")
    list_filter = ("active",)
    search_fields = ("code", "name")
    readonly_fields = ("is_default", "version", "created_at", "updated_at")
    inlines = (LocationInline,)
    actions = ("make_default",)

    def create(self, request, data):
        return services.warehouse_create(**data)

    def update(self, obj, data):
        return services.warehouse_update(warehouse=obj, **data)

    @admin.action(description="Make the default warehouse")
    def make_default(self, request, queryset):
        warehouse = queryset.first()
        if warehouse is not None:
            try:
                services.warehouse_make_default(warehouse=warehouse)
            except ValidationError as exc:
                messages.error(request, error_text(exc))


@admin.register(Location)
class LocationAdmin(ServiceAdmin):
    list_display = ("__str__", "name", "is_default")
    list_filter = ("warehouse",)
    search_fields = ("code", "name")
    list_select_related = ("warehouse",)

    def get_readonly_fields(self, request, obj=None):
        return ("warehouse", "code", "is_default") if obj else ("is_default",)

    def create(self, request, data):
        return services.location_create(
            warehouse=data["warehouse"], code=data["code"], name=data.get("name", "")
        )

    def update(self, obj, data):
        if "name" in data:
            obj.name = data["name"]
            obj.full_clean()
            obj.save(update_fields=["name"])
        return obj


# ---------------------------------------------------------------- the ledger (read-only)


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "product", "warehouse", "quantity", "reference", "actor")
    list_filter = ("kind", "warehouse")
    search_fields = ("product__sku", "reference")
    list_select_related = ("product", "warehouse", "actor")
    date_hierarchy = "created_at"


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    list_display = ("product", "location", "on_hand")
    search_fields = ("product__sku",)
    list_select_related = ("product", "location__warehouse")


@admin.register(WarehouseStock)
class WarehouseStockAdmin(ReadOnlyAdmin):
    list_display = ("product", "warehouse", "on_hand", "reserved")
    list_filter = ("warehouse",)
    search_fields = ("product__sku",)
    list_select_related = ("product", "warehouse")


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "product", "warehouse", "quantity", "quantity_fulfilled")
    search_fields = ("reference", "product__sku")
    list_select_related = ("product", "warehouse")


# ---------------------------------------------------------------- purchasing


@admin.register(Supplier)
class SupplierAdmin(ServiceAdmin):
    list_display = ("code", "name", "currency", "lead_time_days", "active")
    list_filter = ("active",)
    search_fields = ("code", "name", "email")
    readonly_fields = ("version", "created_at", "updated_at")

    def create(self, request, data):
        return services.supplier_create(**data)

    def update(self, obj, data):
        return services.supplier_update(supplier=obj, **data)


@admin.register(SupplierPrice)
class SupplierPriceAdmin(ServiceAdmin):
    list_display = ("supplier", "product", "min_quantity", "unit_price", "currency", "preferred")
    list_filter = ("preferred", "supplier")
    search_fields = ("product__sku", "supplier__name")
    list_select_related = ("supplier", "product")
    autocomplete_fields = ("product", "supplier")

    def _set(self, obj: SupplierPrice | None, data: dict[str, Any]) -> SupplierPrice:
        values = {
            name: data.get(name, getattr(obj, name, None))
            for name in ("supplier", "product", "unit_price", "min_quantity", "currency")
        }
        return services.supplier_price_set(
            **values,
            lead_time_days=data.get("lead_time_days", getattr(obj, "lead_time_days", None)),
            preferred=data.get("preferred", getattr(obj, "preferred", False)),
        )

    def create(self, request, data):
        return self._set(None, data)

    def update(self, obj, data):
        return self._set(obj, data)

    def delete(self, obj):
        obj.delete()


@admin.register(ReorderRule)
class ReorderRuleAdmin(ServiceAdmin):
    list_display = ("product", "warehouse", "min_qty", "max_qty", "active")
    list_filter = ("active", "warehouse")
    search_fields = ("product__sku",)
    list_select_related = ("product", "warehouse")
    autocomplete_fields = ("product",)
    actions = ("propose",)

    def create(self, request, data):
        return services.reorder_rule_create(**data)

    def update(self, obj, data):
        return services.reorder_rule_update(rule=obj, **data)

    def delete(self, obj):
        services.reorder_rule_delete(rule=obj)

    @admin.action(description="Propose purchase orders now (all rules)")
    def propose(self, request, queryset):
        with acting_as(request.user):
            orders = services.reorder_propose(actor=request.user)
        messages.info(request, f"{len(orders)} purchase order(s) proposed.")


class PurchaseOrderLineInline(ReadOnlyInline):
    model = PurchaseOrderLine
    fields = ("product", "quantity", "quantity_received", "unit_price", "line_total")
    readonly_fields = fields


@admin.register(PurchaseOrderLine)
class PurchaseOrderLineAdmin(ReadOnlyAdmin):
    list_display = ("order", "product", "quantity", "quantity_received", "unit_price")
    search_fields = ("order__number", "product__sku")
    list_select_related = ("order", "product")


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    """Created and edited on the purchase order pages; moved on with the actions here."""

    list_display = ("number", "supplier", "warehouse", "status", "source", "total", "created_at")
    list_filter = ("status", "source", "warehouse")
    search_fields = ("number", "supplier__name")
    list_select_related = ("supplier", "warehouse")
    inlines = (PurchaseOrderLineInline,)
    actions = ("send", "receive_all", "cancel")

    def has_change_permission(self, request, obj=None) -> bool:
        # The changelist's actions need it; the form itself shows only read-only fields.
        return request.user.has_perm("inventory.change_purchaseorder")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in PurchaseOrder._meta.fields]

    def _each(self, request, queryset, service, verb: str) -> None:
        # A refused order (a domain rule, or invalid such as sending one without lines) is a
        # message, never a 500.
        done, refused = apply_each(
            request, queryset, lambda order: service(order=order, actor=request.user)
        )
        for reason in refused:
            messages.error(request, reason)
        if done:
            messages.success(request, f"{done} purchase order(s) {verb}.")

    @admin.action(description="Send to supplier")
    def send(self, request, queryset):
        self._each(request, queryset, services.purchase_order_send, "sent")

    @admin.action(description="Receive everything outstanding")
    def receive_all(self, request, queryset):
        self._each(request, queryset, services.purchase_order_receive, "received")

    @admin.action(description="Cancel")
    def cancel(self, request, queryset):
        self._each(request, queryset, services.purchase_order_cancel, "cancelled")
