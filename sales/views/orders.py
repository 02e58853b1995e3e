"""Sales order pages: list, create/edit (the line editor), and the detail page whose confirm,
ship and cancel buttons show stock problems inline (409 insufficient_stock)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.models import Account
from integration.errors import DomainError
from integration.page_forms import error_message, run_action, save_with
from integration.pages import Column, CsvColumn, ListPage, new_action, render_list
from inventory.errors import InsufficientStock
from sales import page_queries, services
from sales.forms import OrderFilterForm, OrderForm, ShipForm, initial_lines, line_formset
from sales.models import SalesOrder
from sales.views.common import can, crumb, sales_permission
from sales.views.editor import render_editor

S = SalesOrder.Status

ORDER_LIST = ListPage(
    template="components/list_page.html",
    row_template="sales/_order_row.html",
    filter_form=OrderFilterForm,
    queryset=page_queries.order_rows,
    columns=[
        Column("Number", "number"),
        Column("Account", "account__name"),
        Column("Status", "status"),
        Column("Total", "total", "text-end"),
        Column("Confirmed", "confirmed_at"),
        Column("Warehouse"),
        Column("Updated", "updated_at", "text-end"),
    ],
    default_sort="-created_at",
    csv_columns=[
        CsvColumn("number", lambda o: o.number),
        CsvColumn("account", lambda o: o.account.name),
        CsvColumn("status", lambda o: o.status),
        CsvColumn("currency", lambda o: o.currency),
        CsvColumn("subtotal", lambda o: o.subtotal),
        CsvColumn("tax_total", lambda o: o.tax_total),
        CsvColumn("total", lambda o: o.total),
        CsvColumn("confirmed_at", lambda o: o.confirmed_at.isoformat() if o.confirmed_at else ""),
        CsvColumn("warehouse", lambda o: o.warehouse.code),
    ],
    csv_filename="orders.csv",
    table_id="order-table",
    empty_title="No orders found",
)


def _order(pk: int) -> SalesOrder:
    return get_object_or_404(
        SalesOrder.objects.select_related("account", "contact", "warehouse", "owner", "quote"),
        pk=pk,
    )


@sales_permission("view_salesorder")
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    actions = new_action(request, "sales.add_salesorder", "sales:order_create", "New order")
    return render_list(
        request,
        ORDER_LIST,
        context=crumb(
            title="Orders",
            subtitle="Sales orders from draft to shipped.",
            actions=actions,
            search_placeholder="Number or account…",
        ),
    )


# ------------------------------------------------------------------ editor


def _header(form: OrderForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "contact": data.get("contact"),
        "warehouse": data.get("warehouse"),
        # Empty: the account's (on create); an edit keeps the document's.
        **({"currency": data["currency"]} if data.get("currency") else {}),
        "notes": data.get("notes") or "",
    }


@sales_permission("add_salesorder")
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    account = None
    if request.GET.get("account", "").isdigit():
        account = get_object_or_404(Account, pk=request.GET["account"])
    form = OrderForm(request.POST or None, fixed_account=account)
    formset = line_formset(request.POST or None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        target = form.cleaned_data["account"]
        order = save_with(
            form,
            lambda: services.order_create(
                account=target, lines=formset.lines(), actor=request.user, **_header(form)
            ),
        )
        if order is not None:
            messages.success(request, f"Order {order.number} created as a draft.")
            return redirect("sales:order_detail", pk=order.pk)
    chosen = account
    if chosen is None and form.is_bound and form.is_valid():
        chosen = form.cleaned_data["account"]
    return render_editor(
        request,
        kind="order",
        form=form,
        formset=formset,
        title=f"New order for {account.name}" if account else "New order",
        cancel_url=reverse("sales:order_list"),
        account=chosen,
        submit_label="Create order",
    )


@sales_permission("change_salesorder")
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    if order.status != S.DRAFT:
        messages.error(request, "Only draft orders can be edited.")
        return redirect("sales:order_detail", pk=pk)
    initial = {
        "contact": order.contact_id,
        "warehouse": order.warehouse_id,
        "currency": order.currency,
        "notes": order.notes,
    }
    form = OrderForm(request.POST or None, fixed_account=order.account, initial=initial)
    lines = order.lines.select_related("product").order_by("position", "id")
    formset = line_formset(request.POST or None, initial=initial_lines(lines))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        header = _header(form)
        if header["warehouse"] is None:
            header["warehouse"] = order.warehouse
        updated = save_with(
            form,
            lambda: services.order_update(
                order=SalesOrder.objects.get(pk=pk),
                lines=formset.lines(),
                actor=request.user,
                **header,
            ),
        )
        if updated is not None:
            messages.success(request, f"Order {order.number} saved.")
            return redirect("sales:order_detail", pk=pk)
    return render_editor(
        request,
        kind="order",
        form=form,
        formset=formset,
        title=f"Edit order {order.number}",
        cancel_url=reverse("sales:order_detail", args=[pk]),
        account=order.account,
        submit_label="Save order",
    )


# ------------------------------------------------------------------ detail and actions


def _detail(
    request: HttpRequest,
    order: SalesOrder,
    *,
    status: int = 200,
    ship_form: ShipForm | None = None,
    stock_problems: list[dict[str, Any]] | None = None,
    problem: str = "",
) -> HttpResponse:
    lines = list(order.lines.select_related("product").order_by("position", "id"))
    stock = page_queries.line_stock(lines, order.warehouse_id)
    change = can(request, "change_salesorder")
    return render(
        request,
        "sales/order_detail.html",
        {
            "order": order,
            "rows": [(line, stock.get(line.product_id)) for line in lines],
            "ship_form": ship_form or ShipForm(order=order, lines=lines),
            "stock_problems": stock_problems or [],
            "problem": problem,
            "can_edit": change and order.status == S.DRAFT,
            "can_confirm": change and order.status == S.DRAFT,
            "can_ship": change and order.status in (S.CONFIRMED, S.PARTIALLY_SHIPPED),
            "can_cancel": change and order.status in (S.DRAFT, S.CONFIRMED, S.PARTIALLY_SHIPPED),
            "can_close": change and order.status == S.SHIPPED,
            **crumb(),
        },
        status=status,
    )


def _short_lines(error: InsufficientStock) -> list[dict[str, Any]]:
    """The short products of an InsufficientStock, with their names for the message."""
    lines = getattr(error, "lines", None) or []
    products = page_queries.products_by_id([line["product"] for line in lines])
    return [
        {**line, "name": products[line["product"]].name if line["product"] in products else ""}
        for line in lines
    ]


@sales_permission("view_salesorder")
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _order(pk))


@sales_permission("change_salesorder")
@require_POST
def order_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (reserve the stock): short stock answers 409 with the short products inline."""
    order = _order(pk)
    try:
        services.order_confirm(order=order, actor=request.user)
    except InsufficientStock as error:
        return _detail(
            request,
            _order(pk),
            status=409,
            stock_problems=_short_lines(error),
            problem=error.detail,
        )
    except (DomainError, ValidationError) as error:
        return _detail(request, _order(pk), status=409, problem=error_message(error))
    messages.success(request, f"Order {order.number} confirmed: its stock is reserved.")
    return redirect("sales:order_detail", pk=pk)


@sales_permission("change_salesorder")
@require_POST
def order_ship(request: HttpRequest, pk: int) -> HttpResponse:
    """Ship the given quantities per line, or everything outstanding when none is given."""
    order = _order(pk)
    lines = list(order.lines.select_related("product").order_by("position", "id"))
    form = ShipForm(request.POST, order=order, lines=lines)
    if not form.is_valid():
        return _detail(request, order, status=400, ship_form=form)
    try:
        services.order_ship(order=order, lines=form.shipment(), actor=request.user)
    except (DomainError, ValidationError) as error:
        return _detail(
            request, _order(pk), status=409, ship_form=form, problem=error_message(error)
        )
    order.refresh_from_db()
    shipped = "shipped" if order.status == S.SHIPPED else "partly shipped"
    messages.success(request, f"Order {order.number} {shipped}.")
    return redirect("sales:order_detail", pk=pk)


@sales_permission("change_salesorder")
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    run_action(
        request,
        lambda: services.order_cancel(order=order, actor=request.user),
        f"Order {order.number} cancelled; its reserved stock is released.",
    )
    return redirect("sales:order_detail", pk=pk)


@sales_permission("change_salesorder")
@require_POST
def order_close(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    run_action(
        request,
        lambda: services.order_close(order=order, actor=request.user),
        f"Order {order.number} closed.",
    )
    return redirect("sales:order_detail", pk=pk)
