"""Serializers of the sales API: output shapes, and input shapes that only validate.

Input serializers never save: views hand their validated data to sales.services. Money is
a decimal string with 2 decimals ("10.00"), quantities with up to 3 ("1.5", "1.000");
zero, negative, non-numeric or over-precise values are 400 with field errors (line errors
nested as DRF nests them: `{"lines": [{}, {"quantity": ["…"]}]}`).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from rest_framework import serializers

from crm.models import Account, Contact, Opportunity, Segment
from integration.api import fields
from integration.api.fields import OutputSerializer
from inventory.models import Product, Warehouse
from sales.models import (
    Contract,
    OrderLine,
    PriceList,
    PriceListItem,
    Quote,
    QuoteLine,
    SalesOrder,
)

User = get_user_model()
TIMESTAMPS = ["version", "created_at", "updated_at"]


def quantity_field(**kwargs) -> serializers.DecimalField:
    kwargs.setdefault("help_text", 'A decimal string greater than zero, e.g. "1" or "2.5".')
    return fields.quantity_field(**kwargs)


def money_field(**kwargs) -> serializers.DecimalField:
    return fields.money_field(min_value=Decimal("0"), **kwargs)


def percent_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        **kwargs,
    )


def _related(model, **kwargs) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(queryset=model._default_manager.all(), **kwargs)


# ---------------------------------------------------------------- price lists


class PriceListItemSerializer(OutputSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = PriceListItem
        fields = ["id", "product", "sku", "min_quantity", "unit_price"]
        read_only_fields = fields


class PriceListSerializer(OutputSerializer):
    items = PriceListItemSerializer(many=True, read_only=True)

    class Meta:
        model = PriceList
        fields = ["id", "name", "currency", "segment", "active", "is_default", "items", *TIMESTAMPS]
        read_only_fields = fields


class PriceListItemInputSerializer(serializers.Serializer):
    product = _related(Product)
    min_quantity = quantity_field(required=False, default=Decimal("1"))
    unit_price = money_field()


class PriceListInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, help_text="ISO 4217.")
    segment = _related(Segment, required=False, allow_null=True)
    active = serializers.BooleanField(required=False)
    is_default = serializers.BooleanField(required=False)
    items = PriceListItemInputSerializer(many=True, required=False)


# ---------------------------------------------------------------- lines


class _LineOutput(OutputSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)

    LINE_FIELDS = [
        "id",
        "product",
        "sku",
        "name",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
        "tax_rate",
        "line_total",
        "tax_amount",
        "position",
    ]


class QuoteLineSerializer(_LineOutput):
    class Meta:
        model = QuoteLine
        fields = _LineOutput.LINE_FIELDS
        read_only_fields = fields


class OrderLineSerializer(_LineOutput):
    class Meta:
        model = OrderLine
        fields = [*_LineOutput.LINE_FIELDS, "quantity_shipped"]
        read_only_fields = fields


class LineInputSerializer(serializers.Serializer):
    product = _related(Product)
    quantity = quantity_field()
    unit_price = money_field(
        required=False, help_text="Leave out for the price list's (else the product's) price."
    )
    discount_percent = percent_field(required=False)
    tax_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text="Percent; leave out for the product's tax rate.",
    )
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def validate_product(self, product: Product) -> Product:
        if not product.active:
            raise serializers.ValidationError("This product is not active.")
        return product


def _lines_field(**kwargs) -> LineInputSerializer:
    return LineInputSerializer(many=True, allow_empty=False, **kwargs)


class _AccountBound(serializers.Serializer):
    """Checks that the contact (and opportunity) belong to the document's account."""

    def validate(self, attrs):
        account = attrs.get("account") or (self.instance.account if self.instance else None)
        for name in ("contact", "opportunity"):
            value = attrs.get(name)
            if value is not None and account is not None and value.account_id != account.pk:
                raise serializers.ValidationError({name: ["It belongs to another account."]})
        return attrs


# ---------------------------------------------------------------- quotes


class QuoteSerializer(OutputSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    lines = QuoteLineSerializer(many=True, read_only=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "account",
            "account_name",
            "contact",
            "opportunity",
            "status",
            "currency",
            "valid_until",
            "notes",
            "subtotal",
            "tax_total",
            "total",
            "order",
            "sent_at",
            "accepted_at",
            "owner",
            "lines",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


class QuoteUpdateSerializer(_AccountBound):
    contact = _related(Contact, required=False, allow_null=True)
    opportunity = _related(Opportunity, required=False, allow_null=True)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, help_text="ISO 4217.")
    valid_until = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    owner = _related(User, required=False, allow_null=True)
    lines = _lines_field(required=False)


class QuoteCreateSerializer(QuoteUpdateSerializer):
    account = _related(Account)
    lines = _lines_field()


# ---------------------------------------------------------------- orders


class OrderSerializer(OutputSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = SalesOrder
        fields = [
            "id",
            "number",
            "account",
            "account_name",
            "contact",
            "quote",
            "status",
            "currency",
            "warehouse",
            "notes",
            "subtotal",
            "tax_total",
            "total",
            "confirmed_at",
            "shipped_at",
            "cancelled_at",
            "closed_at",
            "owner",
            "lines",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


class OrderUpdateSerializer(_AccountBound):
    contact = _related(Contact, required=False, allow_null=True)
    warehouse = _related(Warehouse, required=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, help_text="ISO 4217.")
    notes = serializers.CharField(required=False, allow_blank=True)
    owner = _related(User, required=False, allow_null=True)
    lines = _lines_field(required=False)


class OrderCreateSerializer(OrderUpdateSerializer):
    account = _related(Account)
    warehouse = _related(
        Warehouse, required=False, allow_null=True, help_text="Leave out for the default one."
    )
    lines = _lines_field()


class ShipLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, help_text="The order line's id.")
    quantity = quantity_field()


class ShipSerializer(serializers.Serializer):
    lines = ShipLineSerializer(
        many=True,
        required=False,
        allow_empty=False,
        help_text="Leave out (or send no body) to ship everything outstanding.",
    )


class QuoteAcceptSerializer(serializers.Serializer):
    warehouse = _related(
        Warehouse,
        required=False,
        allow_null=True,
        help_text="The new order's warehouse; leave out for the default one.",
    )


# ---------------------------------------------------------------- contracts


class ContractSerializer(OutputSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    document = serializers.FileField(read_only=True, use_url=True, allow_null=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "account",
            "account_name",
            "title",
            "status",
            "start_date",
            "end_date",
            "value",
            "currency",
            "renewal_terms",
            "auto_renew",
            "document",
            "renewal_reminded_at",
            "ended_at",
            "owner",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


class ContractUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    value = money_field(required=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, help_text="ISO 4217.")
    renewal_terms = serializers.CharField(required=False, allow_blank=True)
    auto_renew = serializers.BooleanField(required=False)
    document = serializers.FileField(required=False, max_length=100)
    owner = _related(User, required=False, allow_null=True)

    def validate(self, attrs):
        start = attrs.get("start_date") or getattr(self.instance, "start_date", None)
        end = attrs.get("end_date") or getattr(self.instance, "end_date", None)
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": ["Must not be before the start date."]})
        return attrs


class ContractCreateSerializer(ContractUpdateSerializer):
    account = _related(Account)
    title = serializers.CharField(max_length=200)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
