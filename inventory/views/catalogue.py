"""Product pages: the catalogue with stock badges, a product's stock, create and edit."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from integration.page_forms import form_page, save_with
from integration.pages import Column, CsvColumn, ListPage, render_list
from inventory import selectors, services
from inventory.forms import ProductFilterForm, ProductForm
from inventory.models import Product
from inventory.views.common import can, crumb, inventory_permission


def _products(*, search: str, filters: dict) -> QuerySet[Product]:
    warehouse = filters.get("warehouse")
    category = filters.get("category")
    products = selectors.product_list(
        search=search,
        category_id=category.pk if category else None,
        active=filters.get("active"),
        warehouse_id=warehouse.pk if warehouse else None,
    )
    stock = filters.get("stock")
    if stock == "out":
        products = products.filter(tracked=True, available__lte=0)
    elif stock == "low":
        products = products.filter(tracked=True).filter(Q(is_low=True) | Q(available__lte=0))
    return products


PRODUCT_LIST = ListPage(
    template="components/list_page.html",
    row_template="inventory/_product_row.html",
    filter_form=ProductFilterForm,
    queryset=_products,
    columns=[
        Column("SKU", "sku"),
        Column("Name", "name"),
        Column("Category"),
        Column("Price", "sales_price", "text-end"),
        Column("On hand", "on_hand", "text-end"),
        Column("Available", "available", "text-end"),
        Column("Stock"),
    ],
    default_sort="sku",
    csv_columns=[
        CsvColumn("id", lambda p: p.pk),
        CsvColumn("sku", lambda p: p.sku),
        CsvColumn("name", lambda p: p.name),
        CsvColumn("category", lambda p: p.category.name if p.category else ""),
        CsvColumn("sales_price", lambda p: p.sales_price),
        CsvColumn("currency", lambda p: p.currency),
        CsvColumn("cost", lambda p: p.cost),
        CsvColumn("on_hand", lambda p: p.on_hand),
        CsvColumn("reserved", lambda p: p.reserved),
        CsvColumn("available", lambda p: p.available),
    ],
    csv_filename="products.csv",
    table_id="product-table",
    empty_title="No products found",
)


@inventory_permission("view_product")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The product catalogue: the inventory area's home."""
    actions = [
        {
            "url": reverse("inventory:warehouse_report"),
            "label": "Stock per warehouse",
            "testid": "report",
        },
        {"url": reverse("inventory:low_stock"), "label": "Low stock", "testid": "low"},
    ]
    if can(request, "view_purchaseorder"):
        actions.append(
            {"url": reverse("inventory:po_list"), "label": "Purchase orders", "testid": "pos"}
        )
    if can(request, "add_stockmove"):
        actions.append(
            {"url": reverse("inventory:move_create"), "label": "Receive / adjust", "testid": "move"}
        )
    if can(request, "add_product"):
        actions.append(
            {"url": reverse("inventory:product_create"), "label": "New product", "testid": "new"}
        )
    return render_list(
        request,
        PRODUCT_LIST,
        context={
            "title": "Products",
            "subtitle": "The catalogue with stock over all warehouses.",
            "actions": actions,
            "search_placeholder": "SKU, name or barcode…",
        },
    )


@inventory_permission("view_product")
@require_GET
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(selectors.product_list(), pk=pk)
    return render(
        request,
        "inventory/product_detail.html",
        crumb(
            product=product,
            status=selectors.stock_status(product),
            warehouses=selectors.product_stock_by_warehouse(product),
            moves=selectors.stock_moves(product_id=product.pk)[:25],
            can_edit=can(request, "change_product"),
            can_move=can(request, "add_stockmove"),
        ),
    )


@inventory_permission("add_product")
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        product = save_with(form, lambda: services.product_create(actor=request.user, **data))
        if product is not None:
            return redirect("inventory:product_detail", pk=product.pk)
    return form_page(
        request,
        form,
        title="New product",
        cancel_url=reverse("inventory:index"),
        status=400 if form.errors else 200,
        **crumb(),
    )


@inventory_permission("change_product")
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        fresh = Product.objects.get(pk=pk)
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        updated = save_with(
            form, lambda: services.product_update(product=fresh, actor=request.user, **data)
        )
        if updated is not None:
            return redirect("inventory:product_detail", pk=pk)
    return form_page(
        request,
        form,
        title=f"Edit {product.sku}",
        cancel_url=reverse("inventory:product_detail", args=[pk]),
        status=400 if form.errors else 200,
        **crumb(),
    )
