"""Admin of sales: every model registered. Documents are read-only here (they are written
through the pages and the API); their transitions are admin actions that call the services,
so an admin action publishes the same events. Price lists save through their services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from integration.admin_base import ReadOnlyInline, apply_each
from sales import services
from sales.models import (
    Contract,
    OrderLine,
    PriceList,
    PriceListItem,
    Quote,
    QuoteLine,
    SalesOrder,
)


def _transition(label: str, call: Callable[[Any, Any], Any], permission: str = "change"):
    """An admin action applying a service to each selected document, reporting refusals."""

    @admin.action(description=label, permissions=[permission])
    def run(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        done, refused = apply_each(
            request, queryset.order_by("pk"), lambda obj: call(obj, request.user)
        )
        if done:
            messages.success(request, f"{label}: {done} done.")
        if refused:
            messages.error(request, "Refused — " + "; ".join(refused))

    run.__name__ = label.lower().replace(" ", "_")
    return run


class DocumentAdmin(admin.ModelAdmin):
    """Read-only documents; transitions are actions."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        """Every field is read-only: there is nothing to save (and no event to skip)."""

    def save_formset(self, request, form, formset, change) -> None:
        """The line inlines are read-only too."""


# ---------------------------------------------------------------- price lists


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    extra = 1
    raw_id_fields = ("product",)


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ("name", "currency", "segment", "active", "is_default", "updated_at")
    list_filter = ("active", "is_default", "currency")
    search_fields = ("name",)
    inlines = (PriceListItemInline,)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            fresh = PriceList.objects.get(pk=obj.pk)
            result = services.price_list_update(price_list=fresh, **fields)
        else:
            fields.pop("name", None)
            result = services.price_list_create(name=form.cleaned_data["name"], **fields)
        for field in PriceList._meta.concrete_fields:
            setattr(obj, field.attname, getattr(result, field.attname))
        obj._state.adding = False


@admin.register(PriceListItem)
class PriceListItemAdmin(admin.ModelAdmin):
    list_display = ("price_list", "product", "min_quantity", "unit_price")
    list_filter = ("price_list",)
    search_fields = ("product__sku", "product__name", "price_list__name")
    raw_id_fields = ("product",)
    list_select_related = ("price_list", "product")


# ---------------------------------------------------------------- quotes


class QuoteLineInline(ReadOnlyInline):
    model = QuoteLine
    fields = (
        "position",
        "product",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
        "tax_rate",
        "line_total",
        "tax_amount",
    )
    readonly_fields = fields


@admin.register(Quote)
class QuoteAdmin(DocumentAdmin):
    list_display = ("number", "account", "status", "total", "currency", "valid_until", "updated_at")
    list_filter = ("status", "currency")
    search_fields = ("number", "account__name")
    list_select_related = ("account",)
    readonly_fields = [f.name for f in Quote._meta.concrete_fields]
    inlines = (QuoteLineInline,)
    actions = (
        _transition("Send", lambda q, u: services.quote_send(quote=q, actor=u)),
        _transition("Accept", lambda q, u: services.quote_accept(quote=q, actor=u)),
        _transition("Reject", lambda q, u: services.quote_reject(quote=q, actor=u)),
    )


# ---------------------------------------------------------------- orders


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "position",
        "product",
        "description",
        "quantity",
        "quantity_shipped",
        "unit_price",
        "discount_percent",
        "tax_rate",
        "line_total",
        "tax_amount",
    )
    readonly_fields = fields


@admin.register(SalesOrder)
class SalesOrderAdmin(DocumentAdmin):
    list_display = (
        "number",
        "account",
        "status",
        "total",
        "currency",
        "warehouse",
        "confirmed_at",
        "updated_at",
    )
    list_filter = ("status", "currency", "warehouse")
    search_fields = ("number", "account__name")
    list_select_related = ("account", "warehouse")
    readonly_fields = [f.name for f in SalesOrder._meta.concrete_fields]
    inlines = (OrderLineInline,)
    actions = (
        _transition("Confirm", lambda o, u: services.order_confirm(order=o, actor=u)),
        _transition("Ship everything", lambda o, u: services.order_ship(order=o, actor=u)),
        _transition("Cancel", lambda o, u: services.order_cancel(order=o, actor=u)),
        _transition("Close", lambda o, u: services.order_close(order=o, actor=u)),
    )


@admin.register(OrderLine)
class OrderLineAdmin(DocumentAdmin):
    list_display = ("order", "product", "quantity", "quantity_shipped", "unit_price", "line_total")
    search_fields = ("order__number", "product__sku")
    list_select_related = ("order", "product")
    readonly_fields = [f.name for f in OrderLine._meta.concrete_fields]


@admin.register(QuoteLine)
class QuoteLineAdmin(DocumentAdmin):
    list_display = ("quote", "product", "quantity", "unit_price", "line_total")
    search_fields = ("quote__number", "product__sku")
    list_select_related = ("quote", "product")
    readonly_fields = [f.name for f in QuoteLine._meta.concrete_fields]


# ---------------------------------------------------------------- contracts


@admin.register(Contract)
class ContractAdmin(DocumentAdmin):
    list_display = (
        "number",
        "title",
        "account",
        "status",
        "start_date",
        "end_date",
        "value",
        "currency",
        "renewal_reminded_at",
    )
    list_filter = ("status", "auto_renew")
    search_fields = ("number", "title", "account__name")
    list_select_related = ("account",)
    readonly_fields = [f.name for f in Contract._meta.concrete_fields]
    actions = (_transition("End", lambda c, u: services.contract_end(contract=c, actor=u)),)
