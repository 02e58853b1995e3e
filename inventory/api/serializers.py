"""Serializers of the inventory API: output shapes, and input shapes that only validate.

Input serializers never save: views hand their validated data to inventory.services.
Money is a decimal string with 2 places, quantities with 3; related objects are ids.
Quantities and prices must be positive (an adjustment's quantity is signed, never zero).
"""

from decimal import Decimal

from rest_framework import serializers

from integration.api.fields import OutputSerializer, money_field, quantity_field
from inventory.models import (
    Category,
    Location,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    StockMove,
    Supplier,
    SupplierPrice,
    Warehouse,
)

TIMESTAMPS = ["version", "created_at", "updated_at"]


def StockFigure(**kwargs) -> serializers.DecimalField:  # noqa: N802 - a field factory
    return serializers.DecimalField(max_digits=14, decimal_places=3, read_only=True, **kwargs)


# ---------------------------------------------------------------- catalogue


class CategorySerializer(OutputSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "parent"]


class ProductSerializer(OutputSerializer):
    on_hand = StockFigure(help_text="On hand (all warehouses, or `?warehouse=`).")
    reserved = StockFigure(help_text="Reserved for open documents.")
    available = StockFigure(help_text="on_hand - reserved.")

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "description",
            "category",
            "uom",
            "sales_price",
            "currency",
            "cost",
            "tax_rate",
            "tracked",
            "active",
            "barcode",
            "on_hand",
            "reserved",
            "available",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


class ProductInputSerializer(serializers.ModelSerializer):
    sales_price = money_field(required=False, help_text='Decimal string, e.g. "10.00".')
    tax_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        help_text='Percent, e.g. "24.00".',
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )

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
        # Uniqueness is the service's (full_clean) to judge, in its transaction.
        extra_kwargs = {"sku": {"validators": []}}


class LocationSerializer(OutputSerializer):
    class Meta:
        model = Location
        fields = ["id", "code", "name", "is_default"]


class WarehouseSerializer(OutputSerializer):
    locations = LocationSerializer(many=True, read_only=True)

    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "is_default", "active", "locations", *TIMESTAMPS]
        read_only_fields = fields


class WarehouseInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["code", "name", "active"]
        extra_kwargs = {"code": {"validators": []}}


# ---------------------------------------------------------------- stock moves


class StockMoveSerializer(OutputSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = StockMove
        fields = [
            "id",
            "kind",
            "product",
            "sku",
            "warehouse",
            "quantity",
            "from_location",
            "to_location",
            "reserved_delta",
            "unit_cost",
            "reference",
            "note",
            "actor",
            "created_at",
        ]
        read_only_fields = fields

    def get_actor(self, move) -> str:
        return move.actor.get_username() if move.actor_id else ""


class StockMoveInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[StockMove.Kind.RECEIPT, StockMove.Kind.ADJUSTMENT],
        help_text="`receipt` (goods in) or `adjustment` (a signed correction).",
    )
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all())
    quantity = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        help_text="Positive for a receipt; for an adjustment the signed change, not zero.",
    )
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(),
        required=False,
        allow_null=True,
        help_text="Default: the warehouse's default location.",
    )
    unit_cost = money_field(
        required=False, allow_null=True, help_text="A receipt's unit cost: moves the average cost."
    )
    reference = serializers.CharField(max_length=100, required=False, default="manual")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        quantity = attrs["quantity"]
        if quantity == 0:
            raise serializers.ValidationError({"quantity": ["Must not be zero."]})
        if attrs["kind"] == StockMove.Kind.RECEIPT and quantity < 0:
            raise serializers.ValidationError({"quantity": ["A receipt's quantity is positive."]})
        if attrs["kind"] == StockMove.Kind.ADJUSTMENT and attrs.get("unit_cost") is not None:
            raise serializers.ValidationError({"unit_cost": ["Only a receipt has a unit cost."]})
        location = attrs.get("location")
        if location is not None and location.warehouse_id != attrs["warehouse"].pk:
            raise serializers.ValidationError({"location": ["Not in this warehouse."]})
        return attrs


# ---------------------------------------------------------------- suppliers


class SupplierPriceSerializer(OutputSerializer):
    class Meta:
        model = SupplierPrice
        fields = [
            "id",
            "product",
            "unit_price",
            "currency",
            "min_quantity",
            "lead_time_days",
            "preferred",
        ]
        read_only_fields = fields


class SupplierSerializer(OutputSerializer):
    prices = SupplierPriceSerializer(many=True, read_only=True)

    class Meta:
        model = Supplier
        fields = [
            "id",
            "code",
            "name",
            "email",
            "phone",
            "currency",
            "lead_time_days",
            "active",
            "notes",
            "prices",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


class SupplierInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = ["code", "name", "email", "phone", "currency", "lead_time_days", "active", "notes"]
        extra_kwargs = {"code": {"validators": []}}


class SupplierPriceInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    unit_price = money_field()
    min_quantity = quantity_field(required=False, default=Decimal("1.000"))
    currency = serializers.CharField(max_length=3, required=False)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    preferred = serializers.BooleanField(required=False, default=False)


# ---------------------------------------------------------------- reorder rules


class ReorderRuleSerializer(OutputSerializer):
    class Meta:
        model = ReorderRule
        fields = ["id", "product", "warehouse", "min_qty", "max_qty", "active", "created_at"]
        read_only_fields = fields


class ReorderRuleInputSerializer(serializers.ModelSerializer):
    min_qty = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0"))
    max_qty = quantity_field()

    class Meta:
        model = ReorderRule
        fields = ["product", "warehouse", "min_qty", "max_qty", "active"]
        validators = []  # unique (product, warehouse): the service's full_clean answers

    def validate(self, attrs):
        instance = self.instance
        low = attrs.get("min_qty", getattr(instance, "min_qty", None))
        high = attrs.get("max_qty", getattr(instance, "max_qty", None))
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"max_qty": ["Must be at least min_qty."]})
        return attrs


# ---------------------------------------------------------------- purchase orders


class PurchaseOrderLineSerializer(OutputSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "product",
            "sku",
            "name",
            "quantity",
            "quantity_received",
            "unit_price",
            "line_total",
            "position",
        ]
        read_only_fields = fields


class PurchaseOrderSerializer(OutputSerializer):
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "supplier",
            "warehouse",
            "status",
            "source",
            "currency",
            "subtotal",
            "total",
            "expected_date",
            "notes",
            "sent_at",
            "received_at",
            "cancelled_at",
            "lines",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


class PurchaseOrderLineInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = quantity_field()
    unit_price = money_field(
        required=False, help_text="Default: the supplier's price, else the cost."
    )


class PurchaseOrderInputSerializer(serializers.Serializer):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.all())
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, help_text="Default: the default one."
    )
    currency = serializers.CharField(max_length=3, required=False)
    expected_date = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    lines = PurchaseOrderLineInputSerializer(many=True, allow_empty=False)


class PurchaseOrderUpdateSerializer(PurchaseOrderInputSerializer):
    supplier = None  # a draft keeps its supplier: cancel and create another instead
    lines = PurchaseOrderLineInputSerializer(many=True, allow_empty=False, required=False)


class ReceiveLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, help_text="The purchase order line's id.")
    quantity = quantity_field()


class ReceiveSerializer(serializers.Serializer):
    lines = ReceiveLineSerializer(
        many=True,
        required=False,
        allow_empty=False,
        help_text="What came in; leave out to receive everything outstanding.",
    )
