"""The inventory API under /api/v1/inventory/: thin viewsets over selectors and services.

Every write validates with an input serializer and calls a service; answers use the output
serializers. Stock moves are never edited or deleted (405): corrections are new moves.
"""

from typing import Any, ClassVar

from django.db import transaction
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from integration.api.viewsets import ServiceModelViewSet, crud_schema, validated
from inventory import selectors, services
from inventory.api import filters as f
from inventory.api import serializers as s
from inventory.errors import NoDefaultWarehouse
from inventory.models import (
    Product,
    PurchaseOrder,
    ReorderRule,
    StockMove,
    Supplier,
    Warehouse,
)


# The inventory resources: the shared service-backed viewset; writes answer with the object
# read back through the selector (stock figures, prefetches), and errors in `lines` name the
# line. No DELETE unless a resource allows it. (A comment, not a docstring: the schema would
# show it on every operation of a subclass without its own.)
class InventoryViewSet(ServiceModelViewSet):
    api_scope = "inventory"
    reload_after_write = True
    flat_errors = True
    http_method_names: ClassVar = ["get", "post", "put", "patch", "head", "options"]


# ---------------------------------------------------------------- products


@crud_schema(s.ProductSerializer, s.ProductInputSerializer, s.ProductInputSerializer)
class ProductViewSet(InventoryViewSet):
    """Products with their stock: `on_hand`, `reserved`, `available` over all warehouses
    (or one, with `?warehouse=`). DELETE works only for a product never used; deactivate
    (`active: false`) one with history."""

    queryset = Product.objects.none()
    serializer_class = s.ProductSerializer
    create_serializer_class = s.ProductInputSerializer
    update_serializer_class = s.ProductInputSerializer
    filterset_class = f.ProductFilter
    ordering_fields: ClassVar = [
        "id",
        "sku",
        "name",
        "sales_price",
        "on_hand",
        "available",
        "created_at",
        "updated_at",
    ]
    ordering = ("sku",)
    detail_url_name = "inventory-product-detail"
    http_method_names: ClassVar = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        warehouse = self.request.query_params.get("warehouse", "")
        return selectors.product_list(
            search=self.search_term(),
            warehouse_id=int(warehouse) if warehouse.isdigit() else None,
        )

    def service_create(self, data):
        return services.product_create(actor=self.request.user, **data)

    def service_update(self, instance, data):
        return services.product_update(product=instance, actor=self.request.user, **data)

    def service_delete(self, instance) -> None:
        services.product_delete(product=instance, actor=self.request.user)


# ---------------------------------------------------------------- warehouses


@crud_schema(s.WarehouseSerializer, s.WarehouseInputSerializer, s.WarehouseInputSerializer)
class WarehouseViewSet(InventoryViewSet):
    """Warehouses, each with its locations; the first one created is the default.
    Not deleted: deactivate one instead."""

    queryset = Warehouse.objects.none()
    serializer_class = s.WarehouseSerializer
    create_serializer_class = s.WarehouseInputSerializer
    update_serializer_class = s.WarehouseInputSerializer
    filterset_class = f.WarehouseFilter
    ordering_fields: ClassVar = ["id", "code", "name"]
    ordering = ("code",)
    detail_url_name = "inventory-warehouse-detail"

    def get_queryset(self):
        return self.searched(Warehouse.objects.prefetch_related("locations"), "code", "name")

    def service_create(self, data):
        return services.warehouse_create(actor=self.request.user, **data)

    def service_update(self, instance, data):
        return services.warehouse_update(warehouse=instance, actor=self.request.user, **data)


# ---------------------------------------------------------------- stock moves


@extend_schema_view(
    create=extend_schema(request=s.StockMoveInputSerializer, responses={201: s.StockMoveSerializer})
)
class StockMoveViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The stock ledger, newest first. POST records a receipt or an adjustment (into the
    warehouse's default location unless `location` is given); moves are never edited or
    deleted: post a correcting move instead."""

    api_scope = "inventory"
    queryset = StockMove.objects.none()
    serializer_class = s.StockMoveSerializer
    filterset_class = f.StockMoveFilter
    filter_backends: ClassVar = [DjangoFilterBackend, filters.OrderingFilter]
    ordering_fields: ClassVar = ["id", "created_at"]
    ordering = ("-id",)

    def get_queryset(self):
        return selectors.stock_moves()

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = validated(s.StockMoveInputSerializer, request.data, flat=True)
        common = {
            "product": data["product"],
            "warehouse": data["warehouse"],
            "quantity": data["quantity"],
            "location": data.get("location"),
            "reference": data["reference"],
            "note": data["note"],
            "actor": request.user,
        }
        if data["kind"] == StockMove.Kind.RECEIPT:
            move = services.stock_receive(unit_cost=data.get("unit_cost"), **common)
        else:
            move = services.stock_adjust(**common)
        move = self.get_queryset().get(pk=move.pk)
        location = reverse("inventory-stock-move-detail", args=[move.pk], request=request)
        return Response(
            self.get_serializer(move).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


# ---------------------------------------------------------------- suppliers


@crud_schema(s.SupplierSerializer, s.SupplierInputSerializer, s.SupplierInputSerializer)
class SupplierViewSet(InventoryViewSet):
    """Suppliers with their price lists. Set a price with `POST …/prices/`."""

    queryset = Supplier.objects.none()
    serializer_class = s.SupplierSerializer
    create_serializer_class = s.SupplierInputSerializer
    update_serializer_class = s.SupplierInputSerializer
    filterset_class = f.SupplierFilter
    ordering_fields: ClassVar = ["id", "code", "name"]
    ordering = ("name",)
    detail_url_name = "inventory-supplier-detail"
    action_permissions: ClassVar = {"prices": ["%(app_label)s.change_%(model_name)s"]}

    def get_queryset(self):
        return self.searched(Supplier.objects.prefetch_related("prices"), "code", "name")

    def service_create(self, data):
        return services.supplier_create(actor=self.request.user, **data)

    def service_update(self, instance, data):
        return services.supplier_update(supplier=instance, actor=self.request.user, **data)

    @extend_schema(request=s.SupplierPriceInputSerializer, responses=s.SupplierSerializer)
    @action(detail=True, methods=["post"])
    def prices(self, request: Request, pk: str | None = None) -> Response:
        """Create or change the supplier's price for a product from `min_quantity` on."""
        supplier = self.get_object()
        data = validated(s.SupplierPriceInputSerializer, request.data, flat=True)
        services.supplier_price_set(supplier=supplier, **data)
        return Response(self.answer(supplier))


# ---------------------------------------------------------------- reorder rules


@crud_schema(s.ReorderRuleSerializer, s.ReorderRuleInputSerializer, s.ReorderRuleInputSerializer)
class ReorderRuleViewSet(InventoryViewSet):
    """Reorder rules: below `min_qty` available (counting what is on order), the hourly
    proposal drafts a purchase order up to `max_qty` from the preferred supplier."""

    queryset = ReorderRule.objects.none()
    serializer_class = s.ReorderRuleSerializer
    create_serializer_class = s.ReorderRuleInputSerializer
    update_serializer_class = s.ReorderRuleInputSerializer
    filterset_class = f.ReorderRuleFilter
    ordering_fields: ClassVar = ["id", "created_at"]
    ordering = ("-id",)
    detail_url_name = "inventory-reorder-rule-detail"
    http_method_names: ClassVar = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return ReorderRule.objects.all()

    def service_create(self, data):
        return services.reorder_rule_create(**data)

    def service_update(self, instance, data):
        return services.reorder_rule_update(rule=instance, **data)

    def service_delete(self, instance) -> None:
        services.reorder_rule_delete(rule=instance)


# ---------------------------------------------------------------- purchase orders


@crud_schema(
    s.PurchaseOrderSerializer, s.PurchaseOrderInputSerializer, s.PurchaseOrderUpdateSerializer
)
class PurchaseOrderViewSet(InventoryViewSet):
    """Purchase orders with their lines: draft → sent → partially_received → received, or
    cancelled. Only a draft is edited (`lines`, when given, replace the lines); `send`,
    `receive` and `cancel` move it on."""

    queryset = PurchaseOrder.objects.none()
    serializer_class = s.PurchaseOrderSerializer
    create_serializer_class = s.PurchaseOrderInputSerializer
    update_serializer_class = s.PurchaseOrderUpdateSerializer
    filterset_class = f.PurchaseOrderFilter
    ordering_fields: ClassVar = ["id", "created_at", "total"]
    ordering = ("-id",)
    detail_url_name = "inventory-purchase-order-detail"
    action_permissions: ClassVar = {
        name: ["%(app_label)s.change_%(model_name)s"] for name in ("send", "receive", "cancel")
    }

    def get_queryset(self):
        return selectors.purchase_order_list(search=self.search_term()).prefetch_related(
            "lines__product"
        )

    def service_create(self, data):
        warehouse = data.pop("warehouse", None) or selectors.default_warehouse()
        if warehouse is None:
            raise NoDefaultWarehouse()
        return services.purchase_order_create(
            warehouse=warehouse, actor=self.request.user, **_lines(data)
        )

    def service_update(self, instance, data):
        return services.purchase_order_update(
            order=instance, actor=self.request.user, **_lines(data)
        )

    @extend_schema(request=None, responses=s.PurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        """Send a draft to its supplier (409 `invalid_status` otherwise)."""
        order = services.purchase_order_send(order=self.get_object(), actor=request.user)
        return Response(self.answer(order))

    @extend_schema(request=s.ReceiveSerializer, responses=s.PurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str | None = None) -> Response:
        """Receive goods into the order's warehouse: the given `lines`, or (no body)
        everything outstanding. More than outstanding is 409 `over_receipt`."""
        order = self.get_object()
        data = validated(s.ReceiveSerializer, request.data or {}, flat=True)
        with transaction.atomic():
            order = services.purchase_order_receive(
                order=order, lines=data.get("lines"), actor=request.user
            )
        return Response(self.answer(order))

    @extend_schema(request=None, responses=s.PurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a draft or sent order."""
        order = services.purchase_order_cancel(order=self.get_object(), actor=request.user)
        return Response(self.answer(order))


def _lines(data: dict[str, Any]) -> dict[str, Any]:
    if "lines" in data:
        data["lines"] = [dict(line) for line in data["lines"]]
    return data
