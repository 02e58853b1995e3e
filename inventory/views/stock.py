"""Stock pages: per-warehouse report with valuation, low-stock list, receipts and adjustments."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integration.page_forms import form_page, run_action, save_with
from integration.pages import Column, CsvColumn, ListPage, render_list
from inventory import selectors, services
from inventory.forms import LowStockFilterForm, StockMoveForm, WarehouseReportFilterForm
from inventory.models import StockMove
from inventory.views.common import can, crumb, inventory_permission


def _report_warehouse(request: HttpRequest):
    form = WarehouseReportFilterForm(request.GET or None)
    if form.is_bound and form.is_valid() and form.cleaned_data.get("warehouse"):
        return form.cleaned_data["warehouse"]
    return selectors.default_warehouse()


def _report(*, search: str, filters: dict):
    warehouse = filters.get("warehouse") or selectors.default_warehouse()
    return selectors.warehouse_stock_report(
        warehouse_id=warehouse.pk if warehouse else 0, search=search
    )


WAREHOUSE_REPORT = ListPage(
    template="inventory/warehouse_report.html",
    row_template="inventory/_report_row.html",
    filter_form=WarehouseReportFilterForm,
    queryset=_report,
    columns=[
        Column("SKU", "product__sku"),
        Column("Name", "product__name"),
        Column("On hand", "on_hand", "text-end"),
        Column("Reserved", "reserved", "text-end"),
        Column("Available", "available", "text-end"),
        Column("Average cost", "product__cost", "text-end"),
        Column("Value", "value", "text-end"),
    ],
    default_sort="product__sku",
    csv_columns=[
        CsvColumn("sku", lambda r: r.product.sku),
        CsvColumn("name", lambda r: r.product.name),
        CsvColumn("on_hand", lambda r: r.on_hand),
        CsvColumn("reserved", lambda r: r.reserved),
        CsvColumn("available", lambda r: r.available),
        CsvColumn("average_cost", lambda r: r.product.cost),
        CsvColumn("value", lambda r: r.value),
    ],
    csv_filename="stock.csv",
    table_id="report-table",
    empty_title="No stock in this warehouse",
    empty_text="Receive goods or choose another warehouse.",
)


@inventory_permission("view_warehousestock")
@require_GET
def warehouse_report(request: HttpRequest) -> HttpResponse:
    warehouse = _report_warehouse(request)
    totals = selectors.warehouse_totals(warehouse_id=warehouse.pk if warehouse else 0)
    totals["currency"] = settings.TANDEM_DEFAULT_CURRENCY
    return render_list(
        request,
        WAREHOUSE_REPORT,
        context=crumb(
            title=f"Stock in {warehouse.name}" if warehouse else "Stock per warehouse",
            subtitle="On hand, reserved and available, valued at average cost.",
            actions=[],
            warehouse=warehouse,
            totals=totals,
            search_placeholder="SKU or name…",
        ),
    )


LOW_STOCK = ListPage(
    template="inventory/low_stock.html",
    row_template="inventory/_low_stock_row.html",
    filter_form=LowStockFilterForm,
    queryset=lambda *, search, filters: selectors.low_stock_list(
        warehouse_id=filters["warehouse"].pk if filters.get("warehouse") else None, search=search
    ),
    columns=[
        Column("SKU", "product__sku"),
        Column("Name", "product__name"),
        Column("Warehouse", "warehouse__code"),
        Column("Available", "available", "text-end"),
        Column("Minimum", "min_qty", "text-end"),
        Column("Maximum", "max_qty", "text-end"),
        Column("To order", "shortfall", "text-end"),
        Column("Stock"),
    ],
    default_sort="available",
    table_id="low-stock-table",
    empty_title="Nothing is below its minimum",
    empty_text="Products with reorder rules appear here when they run low.",
)


@inventory_permission("view_reorderrule")
@require_GET
def low_stock(request: HttpRequest) -> HttpResponse:
    return render_list(
        request,
        LOW_STOCK,
        context=crumb(
            title="Low stock",
            subtitle="Products whose available stock is below their reorder minimum.",
            actions=[],
            can_propose=can(request, "add_purchaseorder"),
            search_placeholder="SKU or name…",
        ),
    )


@inventory_permission("add_purchaseorder")
@require_POST
def propose_reorders(request: HttpRequest) -> HttpResponse:
    orders = run_action(request, lambda: services.reorder_propose(actor=request.user), "")
    if orders is not None:
        if orders:
            messages.success(request, f"{len(orders)} purchase order(s) proposed as drafts.")
        else:
            messages.info(request, "Nothing to propose: open orders already cover the minimums.")
    return redirect("inventory:po_list")


@inventory_permission("add_stockmove")
@require_http_methods(["GET", "POST"])
def move_create(request: HttpRequest) -> HttpResponse:
    initial = {"warehouse": selectors.default_warehouse()}
    if request.GET.get("sku"):
        initial["product"] = request.GET["sku"]
    form = StockMoveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common = {
            "product": data["product"],
            "warehouse": data["warehouse"],
            "quantity": data["quantity"],
            "location": data.get("location"),
            "note": data.get("note", ""),
            "actor": request.user,
        }
        if data["kind"] == StockMove.Kind.RECEIPT:
            move = save_with(
                form, lambda: services.stock_receive(unit_cost=data.get("unit_cost"), **common)
            )
        else:
            move = save_with(form, lambda: services.stock_adjust(**common))
        if move is not None:
            messages.success(request, f"Stock of {data['product'].sku} updated.")
            return redirect("inventory:product_detail", pk=data["product"].pk)
    return form_page(
        request,
        form,
        title="Receive or adjust stock",
        cancel_url=reverse("inventory:index"),
        submit_label="Post move",
        status=400 if form.errors else 200,
        **crumb(subtitle="Every change is a new move in the stock ledger."),
    )
