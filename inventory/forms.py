"""Forms of the inventory pages: list filters, product and stock forms, purchase orders.

Forms only validate and shape input; the views hand `cleaned_data` to inventory.services.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from integration.pages import ListFilterForm
from inventory.models import (
    Category,
    Location,
    Product,
    PurchaseOrder,
    StockMove,
    Supplier,
    Warehouse,
)


def _blank(choices: Any, label: str = "Any") -> list[tuple[str, str]]:
    return [("", label), *[(value, text) for value, text in choices if value != ""]]


def _warehouses():
    return Warehouse.objects.filter(active=True).order_by("code")


BOOL_CHOICES = [("", "Any"), ("true", "Yes"), ("false", "No")]


def _quantity(**kwargs: Any) -> forms.DecimalField:
    kwargs.setdefault("min_value", Decimal("0.001"))
    return forms.DecimalField(max_digits=14, decimal_places=3, **kwargs)


def _money(**kwargs: Any) -> forms.DecimalField:
    kwargs.setdefault("min_value", Decimal("0.01"))
    return forms.DecimalField(max_digits=14, decimal_places=2, **kwargs)


# ------------------------------------------------------------------ list filters


class ProductFilterForm(ListFilterForm):
    category = forms.ModelChoiceField(
        queryset=Category.objects.order_by("name"), required=False, empty_label="Any category"
    )
    stock = forms.ChoiceField(
        required=False,
        choices=[("", "Any stock"), ("low", "Low or out"), ("out", "Out of stock")],
    )
    active = forms.NullBooleanField(
        required=False,
        widget=forms.Select(choices=[("", "Any"), ("true", "Active"), ("false", "Inactive")]),
    )
    warehouse = forms.ModelChoiceField(
        queryset=_warehouses(), required=False, empty_label="All warehouses"
    )


class WarehouseReportFilterForm(ListFilterForm):
    warehouse = forms.ModelChoiceField(
        queryset=_warehouses(), required=False, empty_label="Default warehouse"
    )


class LowStockFilterForm(ListFilterForm):
    warehouse = forms.ModelChoiceField(
        queryset=_warehouses(), required=False, empty_label="All warehouses"
    )


class PurchaseOrderFilterForm(ListFilterForm):
    status = forms.ChoiceField(choices=_blank(PurchaseOrder.Status.choices), required=False)
    supplier = forms.ModelChoiceField(
        queryset=Supplier.objects.order_by("name"), required=False, empty_label="Any supplier"
    )
    warehouse = forms.ModelChoiceField(
        queryset=_warehouses(), required=False, empty_label="Any warehouse"
    )


# ------------------------------------------------------------------ edit forms


class ProductForm(forms.ModelForm):
    sales_price = _money(required=False, initial=Decimal("0.00"), min_value=Decimal("0"))

    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "description",
            "category",
            "uom",
            "sales_price",
            "currency",
            "tax_rate",
            "tracked",
            "active",
            "barcode",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        """The service checks uniqueness in its transaction."""

    def _post_clean(self) -> None:
        # The service assigns and validates the model; the form only checks its fields.
        pass


class StockMoveForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (StockMove.Kind.RECEIPT, "Receipt (goods in)"),
            (StockMove.Kind.ADJUSTMENT, "Adjustment (count correction)"),
        ]
    )
    product = forms.CharField(max_length=64, label="Product SKU")
    warehouse = forms.ModelChoiceField(queryset=_warehouses())
    location = forms.ModelChoiceField(
        queryset=Location.objects.select_related("warehouse"),
        required=False,
        empty_label="Default location",
    )
    quantity = forms.DecimalField(
        max_digits=14,
        decimal_places=3,
        help_text="A receipt is positive; an adjustment may be negative (never zero).",
    )
    unit_cost = _money(required=False, help_text="Receipts: moves the average cost.")
    note = forms.CharField(max_length=200, required=False)

    def clean_product(self) -> Product:
        sku = self.cleaned_data["product"].strip()
        product = Product.objects.filter(sku__iexact=sku).first()
        if product is None:
            raise ValidationError("No product has this SKU.")
        return product

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        quantity = data.get("quantity")
        if quantity is not None:
            if quantity == 0:
                self.add_error("quantity", "Must not be zero.")
            elif data.get("kind") == StockMove.Kind.RECEIPT and quantity < 0:
                self.add_error("quantity", "A receipt's quantity is positive.")
        location, warehouse = data.get("location"), data.get("warehouse")
        if location and warehouse and location.warehouse_id != warehouse.pk:
            self.add_error("location", "Not in this warehouse.")
        return data


class PurchaseOrderForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.filter(active=True))
    warehouse = forms.ModelChoiceField(queryset=_warehouses())
    expected_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PurchaseOrderLineForm(forms.Form):
    product = forms.CharField(max_length=64, label="SKU", required=False)
    quantity = _quantity(required=False)
    unit_price = _money(required=False, help_text="Empty: the supplier's price.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        sku = (data.get("product") or "").strip()
        if not sku and not data.get("quantity"):
            return data  # an empty row
        product = Product.objects.filter(sku__iexact=sku).first() if sku else None
        if product is None:
            self.add_error("product", "No product has this SKU.")
        if not data.get("quantity"):
            self.add_error("quantity", "Enter a quantity.")
        data["product"] = product
        return data


PurchaseOrderLineFormSet = forms.formset_factory(PurchaseOrderLineForm, extra=5, max_num=50)


class ReceiveLineForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.DecimalField(
        max_digits=14, decimal_places=3, min_value=Decimal("0"), required=False
    )
