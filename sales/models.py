"""Sales: price lists, quotes, sales orders and contracts.

Money is `DecimalField(14, 2)` with a currency per document, quantities `DecimalField(14, 3)`;
line and document totals are computed by `sales.rounding` in the services, never here.
Status transitions are enforced by `sales.services`; the database enforces what must hold
under concurrency (positive quantities, non-negative prices, shipped <= ordered, unique numbers).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from integration.models import TimeStampedModel

ZERO = Decimal("0")


def default_currency() -> str:
    return settings.TANDEM_DEFAULT_CURRENCY


def _money(**kwargs) -> models.DecimalField:
    kwargs.setdefault("default", Decimal("0.00"))
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def _quantity(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=3, **kwargs)


def _percent(**kwargs) -> models.DecimalField:
    kwargs.setdefault("default", Decimal("0.00"))
    return models.DecimalField(max_digits=5, decimal_places=2, **kwargs)


def _owner(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
    )


def _unique_number(prefix: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["number"], condition=~models.Q(number=""), name=f"{prefix}_number_unique"
    )


class PriceList(TimeStampedModel):
    """Prices in one currency, for everyone or for the accounts of one CRM segment.

    A segment's list wins over general lists (no segment) for the accounts it matches;
    within a list the largest quantity break not above the ordered quantity applies.
    """

    name = models.CharField(max_length=200, unique=True)
    currency = models.CharField(max_length=3, default=default_currency)
    segment = models.ForeignKey(
        "crm.Segment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="price_lists",
        help_text="Only accounts in this segment get these prices; empty: every account.",
    )
    active = models.BooleanField(default=True)
    is_default = models.BooleanField(
        default=False, help_text="The general list of its currency (one per currency)."
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency"],
                condition=models.Q(is_default=True),
                name="sales_pricelist_one_default_per_currency",
                violation_error_message="There is already a default price list in this currency.",
            ),
            models.CheckConstraint(
                condition=~models.Q(is_default=True, segment__isnull=False),
                name="sales_pricelist_default_has_no_segment",
                violation_error_message="A default price list applies to everyone: no segment.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        "inventory.Product", on_delete=models.CASCADE, related_name="price_list_items"
    )
    min_quantity = _quantity(default=Decimal("1.000"))
    unit_price = _money()

    class Meta:
        ordering = ["price_list", "product", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product", "min_quantity"],
                name="sales_pricelistitem_unique_break",
                violation_error_message="This product already has a price from this quantity.",
            ),
            models.CheckConstraint(
                condition=models.Q(min_quantity__gt=0), name="sales_pricelistitem_min_qty_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="sales_pricelistitem_price_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["product", "price_list"], name="sales_pli_product")]

    def __str__(self) -> str:
        return f"{self.product_id} from {self.min_quantity}: {self.unit_price}"


class _Line(models.Model):
    """What quote and order lines share: product, quantity, price, discount, tax, totals."""

    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=300, blank=True)
    quantity = _quantity()
    unit_price = _money()
    discount_percent = _percent()
    tax_rate = _percent(help_text="Percent")
    # quantity * unit price * (1 - discount), rounded; tax on top is tax_amount.
    line_total = _money()
    tax_amount = _money()
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @classmethod
    def line_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name=f"{prefix}_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name=f"{prefix}_price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name=f"{prefix}_discount_0_100",
            ),
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0), name=f"{prefix}_tax_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(line_total__gte=0, tax_amount__gte=0),
                name=f"{prefix}_totals_not_negative",
            ),
        ]


class _Totals(models.Model):
    subtotal = _money()
    tax_total = _money()
    total = _money()

    class Meta:
        abstract = True

    @classmethod
    def total_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(
                condition=models.Q(subtotal__gte=0, tax_total__gte=0, total__gte=0),
                name=f"{prefix}_totals_not_negative",
            ),
        ]


class Quote(TimeStampedModel, _Totals):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    # "Q-000042", from the id; empty only inside the creating transaction.
    number = models.CharField(max_length=20, blank=True, editable=False)
    account = models.ForeignKey("crm.Account", on_delete=models.PROTECT, related_name="quotes")
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3, default=default_currency)
    valid_until = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    order = models.ForeignKey(
        "sales.SalesOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    owner = _owner("sales_quotes")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "status"], name="sales_quote_account"),
            models.Index(fields=["status", "id"], name="sales_quote_status"),
            models.Index(fields=["updated_at", "id"], name="sales_quote_updated"),
        ]
        constraints = [
            *_Totals.total_constraints("sales_quote"),
            _unique_number("sales_quote"),
        ]

    def __str__(self) -> str:
        return self.number or f"Quote {self.pk}"


class QuoteLine(_Line):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        ordering = ["quote", "position", "id"]
        constraints = _Line.line_constraints("sales_quoteline")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class SalesOrder(TimeStampedModel, _Totals):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        CONFIRMED = "confirmed", "Confirmed"
        PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
        SHIPPED = "shipped", "Shipped"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(max_length=20, blank=True, editable=False)
    account = models.ForeignKey(
        "crm.Account", on_delete=models.PROTECT, related_name="sales_orders"
    )
    contact = models.ForeignKey(
        "crm.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sales_orders",
    )
    quote = models.ForeignKey(
        Quote, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3, default=default_currency)
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.PROTECT, related_name="sales_orders"
    )
    notes = models.TextField(blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    shipped_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    owner = _owner("sales_orders")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "sales order"
        indexes = [
            models.Index(fields=["account", "status"], name="sales_order_account"),
            models.Index(fields=["status", "id"], name="sales_order_status"),
            models.Index(fields=["confirmed_at"], name="sales_order_confirmed"),
            models.Index(fields=["updated_at", "id"], name="sales_order_updated"),
        ]
        constraints = [
            *_Totals.total_constraints("sales_order"),
            _unique_number("sales_order"),
        ]

    def __str__(self) -> str:
        return self.number or f"Order {self.pk}"

    @property
    def stock_reference(self) -> str:
        """The reference its stock reservations are recorded under in inventory."""
        return f"sales.order:{self.pk}"


class OrderLine(_Line):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    quantity_shipped = _quantity(default=Decimal("0.000"))

    class Meta:
        ordering = ["order", "position", "id"]
        constraints = [
            *_Line.line_constraints("sales_orderline"),
            models.CheckConstraint(
                condition=models.Q(quantity_shipped__gte=0)
                & models.Q(quantity_shipped__lte=models.F("quantity")),
                name="sales_orderline_shipped_within_quantity",
            ),
        ]
        indexes = [models.Index(fields=["product", "order"], name="sales_orderline_product")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"

    @property
    def quantity_outstanding(self) -> Decimal:
        return self.quantity - self.quantity_shipped


class Contract(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    number = models.CharField(max_length=20, blank=True, editable=False)
    account = models.ForeignKey("crm.Account", on_delete=models.PROTECT, related_name="contracts")
    title = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField()
    value = _money()
    currency = models.CharField(max_length=3, default=default_currency)
    renewal_terms = models.TextField(blank=True)
    auto_renew = models.BooleanField(default=False)
    document = models.FileField(upload_to="sales/contracts/%Y/", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    renewal_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    owner = _owner("sales_contracts")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["end_date", "id"]
        indexes = [
            models.Index(fields=["status", "end_date"], name="sales_contract_due"),
            models.Index(fields=["updated_at", "id"], name="sales_contract_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="sales_contract_ends_after_start",
                violation_error_message="The contract cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="sales_contract_value_not_negative"
            ),
            _unique_number("sales_contract"),
        ]

    def __str__(self) -> str:
        return f"{self.number or self.pk}: {self.title}"
