"""Warehouses, locations, the append-only stock ledger and the balances derived from it.

Every change of stock is a `StockMove` (never updated or deleted: a database trigger
refuses it on PostgreSQL). `StockBalance` (on hand per product and location) and
`WarehouseStock` (on hand and reserved per product and warehouse) are kept in step with the
ledger by the services, in the same transaction; `selectors.ledger_balances()` recomputes
them from the moves alone.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from integration.models import TimeStampedModel
from inventory.models.catalogue import MONEY, QUANTITY, Product

ZERO = Decimal("0.000")


class Warehouse(TimeStampedModel):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    # The first warehouse created becomes the default; exactly one is (partial unique).
    is_default = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="inventory_warehouse_one_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Location(models.Model):
    """A place inside a warehouse; each warehouse has one default location for its stock."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="locations")
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["warehouse", "code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "code"], name="inventory_location_code_unique"
            ),
            models.UniqueConstraint(
                fields=["warehouse"],
                condition=models.Q(is_default=True),
                name="inventory_location_one_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"


class StockMove(models.Model):
    """One immutable ledger entry. Quantities are positive; direction is from/to.

    on hand: a move adds `quantity` to `to_location` and takes it from `from_location`
    (either may be empty: a receipt comes from outside, a delivery leaves).
    reserved: `reserved_delta` is what the move did to the warehouse's reserved figure
    (+q for a reservation, -q for its release or for a delivery that fulfils it).
    """

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        DELIVERY = "delivery", "Delivery"
        TRANSFER = "transfer", "Transfer"
        ADJUSTMENT = "adjustment", "Adjustment"
        RESERVATION = "reservation", "Reservation"
        RESERVATION_RELEASE = "reservation_release", "Reservation release"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_moves")
    # The warehouse whose figures the move changes (the source one for a transfer).
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_moves")
    quantity = models.DecimalField(**QUANTITY)
    from_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="moves_out"
    )
    to_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="moves_in"
    )
    reserved_delta = models.DecimalField(**QUANTITY, default=ZERO)
    # Unit cost of a receipt (in the product's currency); the average cost for other moves.
    unit_cost = models.DecimalField(**MONEY, default=Decimal("0.00"))
    # The source document: "inventory.purchase_order:7", "sales.order:42", "manual".
    reference = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inventory_stock_moves",
    )
    created_at = models.DateTimeField(auto_now_add=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "-created_at", "-id"], name="inventory_move_product"),
            models.Index(fields=["reference"], name="inventory_move_reference"),
            models.Index(fields=["-created_at", "-id"], name="inventory_move_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="inventory_move_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_cost__gte=0), name="inventory_move_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} x {self.product_id}"


class StockBalance(models.Model):
    """On hand per product and location."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="balances")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    on_hand = models.DecimalField(**QUANTITY, default=ZERO)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "location"], name="inventory_balance_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(on_hand__gte=0), name="inventory_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.on_hand}"


class WarehouseStock(models.Model):
    """On hand and reserved per product and warehouse: the row reservations lock."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="warehouse_stock")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock")
    on_hand = models.DecimalField(**QUANTITY, default=ZERO)
    reserved = models.DecimalField(**QUANTITY, default=ZERO)

    class Meta:
        verbose_name_plural = "warehouse stock"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], name="inventory_warehouse_stock_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(reserved__gte=0), name="inventory_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(on_hand__gte=models.F("reserved")),
                name="inventory_available_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["warehouse", "product"], name="inventory_wstock_wh")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"


class Reservation(TimeStampedModel):
    """What is still reserved for a source document, per product and warehouse."""

    reference = models.CharField(max_length=100)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="reservations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.DecimalField(**QUANTITY, default=ZERO, help_text="Still reserved")
    quantity_fulfilled = models.DecimalField(**QUANTITY, default=ZERO)
    quantity_released = models.DecimalField(**QUANTITY, default=ZERO)

    class Meta:
        ordering = ["reference", "product", "warehouse"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference", "product", "warehouse"],
                name="inventory_reservation_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="inventory_reservation_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.quantity} x {self.product_id}@{self.warehouse_id}"
