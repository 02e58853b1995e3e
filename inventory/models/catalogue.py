"""The product catalogue: a category tree and the products sold and stocked."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from integration.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 3}


def default_currency() -> str:
    return settings.TANDEM_DEFAULT_CURRENCY


class Category(models.Model):
    """A node of the category tree ("Hardware / Fasteners")."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="inventory_category_name_unique",
                nulls_distinct=False,
                violation_error_message="A category with this name already exists here.",
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="inventory_category_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(TimeStampedModel):
    """Something sold and (when `tracked`) kept in stock."""

    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    uom = models.CharField("unit of measure", max_length=20, default="unit")
    sales_price = models.DecimalField(**MONEY, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default=default_currency)
    # Average cost of the stock on hand, moved by every receipt (valuation at average cost).
    cost = models.DecimalField(**MONEY, default=Decimal("0.00"))
    tax_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0.00"), help_text="Percent"
    )
    tracked = models.BooleanField(default=True, help_text="Stock is kept and reserved.")
    active = models.BooleanField(default=True)
    barcode = models.CharField(max_length=64, blank=True)
    image = models.FileField(upload_to="inventory/products/", blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["sku", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="inventory_product_name"),
            models.Index(fields=["category", "id"], name="inventory_product_category"),
            models.Index(Lower("sku"), name="inventory_product_sku_lower"),
            models.Index(fields=["barcode"], name="inventory_product_barcode"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sales_price__gte=0), name="inventory_product_price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(cost__gte=0), name="inventory_product_cost_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0, tax_rate__lte=100),
                name="inventory_product_tax_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
