"""Purchasing: suppliers, their price lists, reorder rules and purchase orders."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from integration.models import TimeStampedModel
from inventory.models.catalogue import MONEY, QUANTITY, Product, default_currency
from inventory.models.stock import ZERO, Warehouse


class Supplier(TimeStampedModel):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    currency = models.CharField(max_length=3, default=default_currency)
    lead_time_days = models.PositiveSmallIntegerField(default=7)
    active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SupplierPrice(models.Model):
    """One line of a supplier's price list: what a product costs from a minimum quantity."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="prices")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="supplier_prices")
    unit_price = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default=default_currency)
    min_quantity = models.DecimalField(**QUANTITY, default=Decimal("1.000"))
    lead_time_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # The supplier reorder proposals buy this product from (at most one per product).
    preferred = models.BooleanField(default=False)

    class Meta:
        ordering = ["product", "supplier", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "product", "min_quantity"],
                name="inventory_supplier_price_unique",
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=models.Q(preferred=True),
                name="inventory_supplier_price_one_preferred",
                violation_error_message="Another supplier is already preferred for this product.",
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="inventory_supplier_price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(min_quantity__gt=0), name="inventory_supplier_price_min_qty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} {self.product_id} ≥{self.min_quantity}: {self.unit_price}"


class ReorderRule(TimeStampedModel):
    """Keep between min and max of a product in a warehouse: below min, propose a purchase."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reorder_rules")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="reorder_rules")
    min_qty = models.DecimalField(**QUANTITY)
    max_qty = models.DecimalField(**QUANTITY)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product", "warehouse"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], name="inventory_reorder_rule_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(min_qty__gte=0), name="inventory_reorder_min_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(min_qty__lte=models.F("max_qty")),
                name="inventory_reorder_min_le_max",
                violation_error_message="The minimum must not exceed the maximum.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.min_qty}-{self.max_qty}"


class PurchaseOrder(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        PARTIALLY_RECEIVED = "partially_received", "Partially received"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.DRAFT, Status.SENT, Status.PARTIALLY_RECEIVED)

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        REORDER = "reorder", "Reorder proposal"

    number = models.CharField(max_length=20, unique=True, editable=False)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="purchase_orders"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    currency = models.CharField(max_length=3, default=default_currency)
    subtotal = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)
    total = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)
    expected_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    received_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inventory_purchase_orders",
        editable=False,
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="inventory_po_status"),
            models.Index(fields=["-created_at", "-id"], name="inventory_po_created"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="purchase_order_lines"
    )
    quantity = models.DecimalField(**QUANTITY)
    quantity_received = models.DecimalField(**QUANTITY, default=ZERO, editable=False)
    unit_price = models.DecimalField(**MONEY)
    line_total = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="inventory_po_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_received__gte=0)
                & models.Q(quantity_received__lte=models.F("quantity")),
                name="inventory_po_line_received_range",
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="inventory_po_line_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} x {self.product_id}"

    @property
    def quantity_outstanding(self):
        return self.quantity - self.quantity_received
