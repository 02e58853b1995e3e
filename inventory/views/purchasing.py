"""Purchase order pages: list, create, detail with send / receive / cancel."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integration.page_forms import run_action, save_with
from integration.pages import Column, CsvColumn, ListPage, new_action, render_list
from inventory import selectors, services
from inventory.forms import PurchaseOrderFilterForm, PurchaseOrderForm, PurchaseOrderLineFormSet
from inventory.models import PurchaseOrder
from inventory.views.common import can, crumb, inventory_permission

Status = PurchaseOrder.Status


def _orders(*, search: str, filters: dict):
    supplier, warehouse = filters.get("supplier"), filters.get("warehouse")
    return selectors.purchase_order_list(
        status=filters.get("status", ""),
        supplier_id=supplier.pk if supplier else None,
        warehouse_id=warehouse.pk if warehouse else None,
        search=search,
    )


PO_LIST = ListPage(
    template="components/list_page.html",
    row_template="inventory/_po_row.html",
    filter_form=PurchaseOrderFilterForm,
    queryset=_orders,
    columns=[
        Column("Number", "number"),
        Column("Supplier", "supplier__name"),
        Column("Warehouse"),
        Column("Status", "status"),
        Column("Total", "total", "text-end"),
        Column("Created", "created_at", "text-end"),
    ],
    default_sort="-created_at",
    csv_columns=[
        CsvColumn("number", lambda o: o.number),
        CsvColumn("supplier", lambda o: o.supplier.name),
        CsvColumn("warehouse", lambda o: o.warehouse.code),
        CsvColumn("status", lambda o: o.status),
        CsvColumn("total", lambda o: o.total),
        CsvColumn("currency", lambda o: o.currency),
        CsvColumn("created_at", lambda o: o.created_at.isoformat()),
    ],
    csv_filename="purchase-orders.csv",
    table_id="po-table",
    empty_title="No purchase orders found",
)


@inventory_permission("view_purchaseorder")
@require_GET
def po_list(request: HttpRequest) -> HttpResponse:
    actions = new_action(
        request, "inventory.add_purchaseorder", "inventory:po_create", "New purchase order"
    )
    return render_list(
        request,
        PO_LIST,
        context=crumb(
            title="Purchase orders",
            subtitle="Draft → sent → received; drafts proposed by the reorder rules included.",
            actions=actions,
            search_placeholder="Number or supplier…",
        ),
    )


@inventory_permission("add_purchaseorder")
@require_http_methods(["GET", "POST"])
def po_create(request: HttpRequest) -> HttpResponse:
    form = PurchaseOrderForm(
        request.POST or None, initial={"warehouse": selectors.default_warehouse()}
    )
    lines = PurchaseOrderLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        chosen = [
            {
                "product": row["product"],
                "quantity": row["quantity"],
                **({"unit_price": row["unit_price"]} if row.get("unit_price") else {}),
            }
            for row in lines.cleaned_data
            if row.get("product")
        ]
        data = form.cleaned_data
        order = save_with(
            form,
            lambda: services.purchase_order_create(
                supplier=data["supplier"],
                warehouse=data["warehouse"],
                expected_date=data.get("expected_date"),
                notes=data.get("notes", ""),
                lines=chosen,
                actor=request.user,
            ),
        )
        if order is not None:
            return redirect("inventory:po_detail", pk=order.pk)
    return render(
        request,
        "inventory/po_form.html",
        crumb(form=form, lines=lines, title="New purchase order"),
        status=400 if request.method == "POST" else 200,
    )


@inventory_permission("view_purchaseorder")
@require_GET
def po_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(
        PurchaseOrder.objects.select_related("supplier", "warehouse", "created_by"), pk=pk
    )
    can_change = can(request, "change_purchaseorder")
    return render(
        request,
        "inventory/po_detail.html",
        crumb(
            order=order,
            lines=order.lines.select_related("product"),
            can_send=can_change and order.status == Status.DRAFT,
            can_receive=can_change and order.status in (Status.SENT, Status.PARTIALLY_RECEIVED),
            can_cancel=can_change and order.status in (Status.DRAFT, Status.SENT),
        ),
    )


@inventory_permission("change_purchaseorder")
@require_POST
def po_send(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder, pk=pk)
    run_action(
        request,
        lambda: services.purchase_order_send(order=order, actor=request.user),
        f"{order.number} sent.",
    )
    return redirect("inventory:po_detail", pk=pk)


@inventory_permission("change_purchaseorder")
@require_POST
def po_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder, pk=pk)
    run_action(
        request,
        lambda: services.purchase_order_cancel(order=order, actor=request.user),
        f"{order.number} cancelled.",
    )
    return redirect("inventory:po_detail", pk=pk)


@inventory_permission("change_purchaseorder")
@require_POST
def po_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Receive the quantities typed per line (`qty-<line id>`), or everything outstanding."""
    order = get_object_or_404(PurchaseOrder, pk=pk)
    lines = None
    if request.POST.get("mode") != "all":
        lines = []
        for line in order.lines.all():
            raw = (request.POST.get(f"qty-{line.pk}") or "").strip()
            if raw and raw != "0":
                try:
                    quantity = Decimal(raw)
                except ArithmeticError:
                    quantity = Decimal("NaN")  # the service says what is wrong with it
                lines.append({"line": line.pk, "quantity": quantity})
        if not lines:
            messages.error(request, "Enter a quantity to receive on at least one line.")
            return redirect("inventory:po_detail", pk=pk)
    run_action(
        request,
        lambda: services.purchase_order_receive(order=order, lines=lines, actor=request.user),
        "Goods received into stock.",
    )
    return redirect("inventory:po_detail", pk=pk)
