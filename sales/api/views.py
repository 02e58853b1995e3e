"""The sales API under /api/v1/sales/: thin viewsets over sales.selectors and sales.services.

Every write validates with an input serializer and calls a service; answers use the output
serializers. PUT and PATCH take `If-Match` (ETagMixin) and leave fields they do not name
unchanged; `lines`, when given, replace all lines of a draft. Business conflicts are 409
with a `code`: confirming an order short of stock is `insufficient_stock` with the short
`lines`; an action the status forbids is `invalid_transition`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import filters
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from integration.api.viewsets import FieldSearchFilter, ServiceModelViewSet, crud_schema, validated
from sales import selectors, services
from sales.api import filters as sales_filters
from sales.api import serializers as s
from sales.models import Contract, PriceList, Quote, SalesOrder

CHANGE = "%(app_label)s.change_%(model_name)s"


# The sales resources: the shared service-backed viewset with DRF's search over
# `search_fields`; writes answer with the object read back through the selector (lines and
# names in a fixed number of queries), and `lines` reach the services as plain dicts.
# No DELETE unless a resource allows it. (A comment, not a docstring: the schema would show
# it on every operation of a subclass without its own.)
class SalesViewSet(ServiceModelViewSet):
    api_scope = "sales"
    filter_backends: ClassVar = [DjangoFilterBackend, FieldSearchFilter, filters.OrderingFilter]
    ordering_fields: ClassVar = ["id", "number", "created_at", "updated_at", "total"]
    search_fields: ClassVar = ["number", "account__name"]
    http_method_names: ClassVar = ["get", "post", "put", "patch", "head", "options"]
    reload_after_write = True

    def validated(self, serializer_class, data, **kwargs) -> dict[str, Any]:
        data = super().validated(serializer_class, data, **kwargs)
        if data.get("lines") is not None:
            data["lines"] = [dict(line) for line in data["lines"]]
        return data


# ---------------------------------------------------------------- price lists


@crud_schema(s.PriceListSerializer, s.PriceListInputSerializer, s.PriceListInputSerializer)
class PriceListViewSet(SalesViewSet):
    """Price lists: prices per currency, for everyone or one CRM segment, with quantity breaks."""

    queryset = PriceList.objects.none()  # for ModelPermissions; see get_queryset
    serializer_class = s.PriceListSerializer
    create_serializer_class = s.PriceListInputSerializer
    update_serializer_class = s.PriceListInputSerializer
    filterset_class = sales_filters.PriceListFilter
    ordering_fields: ClassVar = ["id", "name", "created_at", "updated_at"]
    search_fields: ClassVar = ["name"]
    http_method_names: ClassVar = ["get", "post", "put", "patch", "delete", "head", "options"]
    detail_url_name = "sales-price-list-detail"

    def get_queryset(self):
        return selectors.price_list_list()

    def service_create(self, data):
        items = [dict(item) for item in data.pop("items", [])]
        return services.price_list_create(items=items, **data)

    def service_update(self, instance, data):
        items = data.pop("items", None)
        if items is not None:
            items = [dict(item) for item in items]
        return services.price_list_update(price_list=instance, items=items, **data)

    def service_delete(self, instance) -> None:
        services.price_list_delete(price_list=instance)


# ---------------------------------------------------------------- quotes


@crud_schema(s.QuoteSerializer, s.QuoteCreateSerializer, s.QuoteUpdateSerializer)
class QuoteViewSet(SalesViewSet):
    """Quotes: draft → sent → accepted (a sales order is created) | rejected | expired."""

    queryset = Quote.objects.none()
    serializer_class = s.QuoteSerializer
    create_serializer_class = s.QuoteCreateSerializer
    update_serializer_class = s.QuoteUpdateSerializer
    filterset_class = sales_filters.QuoteFilter
    detail_url_name = "sales-quote-detail"
    action_permissions: ClassVar = {
        "send": [CHANGE],
        "reject": [CHANGE],
        "accept": [CHANGE, "sales.add_salesorder"],
    }

    def get_queryset(self):
        return selectors.quote_list()

    def service_create(self, data):
        return services.quote_create(actor=self.request.user, **data)

    def service_update(self, instance, data):
        return services.quote_update(quote=instance, actor=self.request.user, **data)

    @extend_schema(request=None, responses=s.QuoteSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        """Mark a draft quote sent to the customer."""
        quote = services.quote_send(quote=self.get_object(), actor=request.user)
        return Response(self.answer(quote))

    @extend_schema(request=s.QuoteAcceptSerializer, responses=s.QuoteSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """The customer accepted: creates a draft sales order with the quote's lines (its id is
        `order`) and marks the quote's opportunity won. Again: 409 `quote_already_accepted`."""
        data = validated(s.QuoteAcceptSerializer, request.data or {})
        quote = services.quote_accept(
            quote=self.get_object(), warehouse=data.get("warehouse"), actor=request.user
        )
        return Response(self.answer(quote))

    @extend_schema(request=None, responses=s.QuoteSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """The customer declined."""
        quote = services.quote_reject(quote=self.get_object(), actor=request.user)
        return Response(self.answer(quote))


# ---------------------------------------------------------------- orders


@crud_schema(s.OrderSerializer, s.OrderCreateSerializer, s.OrderUpdateSerializer)
class OrderViewSet(SalesViewSet):
    """Sales orders: draft → confirmed (stock reserved) → partially shipped → shipped → closed,
    or cancelled (reservations released)."""

    queryset = SalesOrder.objects.none()
    serializer_class = s.OrderSerializer
    create_serializer_class = s.OrderCreateSerializer
    update_serializer_class = s.OrderUpdateSerializer
    filterset_class = sales_filters.OrderFilter
    detail_url_name = "sales-order-detail"
    action_permissions: ClassVar = {
        "confirm": [CHANGE],
        "ship": [CHANGE],
        "cancel": [CHANGE],
        "close": [CHANGE],
    }

    def get_queryset(self):
        return selectors.order_list()

    def service_create(self, data):
        return services.order_create(actor=self.request.user, **data)

    def service_update(self, instance, data):
        return services.order_update(order=instance, actor=self.request.user, **data)

    @extend_schema(request=None, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Reserve the stock of every line and confirm; if any product is short, nothing
        changes and the answer is 409 `insufficient_stock` with the short `lines`."""
        order = services.order_confirm(order=self.get_object(), actor=request.user)
        return Response(self.answer(order))

    @extend_schema(request=s.ShipSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: str | None = None) -> Response:
        """Ship everything outstanding (no body), or only
        `{"lines": [{"line": <line id>, "quantity": "1"}]}`."""
        data = validated(s.ShipSerializer, request.data or {})
        lines = data.get("lines")
        order = services.order_ship(
            order=self.get_object(),
            lines=[dict(line) for line in lines] if lines is not None else None,
            actor=request.user,
        )
        return Response(self.answer(order))

    @extend_schema(request=None, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel and release what is still reserved; a shipped order is 409 `order_shipped`."""
        order = services.order_cancel(order=self.get_object(), actor=request.user)
        return Response(self.answer(order))

    @extend_schema(request=None, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """Close a shipped order."""
        order = services.order_close(order=self.get_object(), actor=request.user)
        return Response(self.answer(order))


# ---------------------------------------------------------------- contracts


@crud_schema(s.ContractSerializer, s.ContractCreateSerializer, s.ContractUpdateSerializer)
class ContractViewSet(SalesViewSet):
    """Contracts: terms, value and dates per account, with an optional document (multipart
    upload); a renewal reminder event 30 days before the end."""

    queryset = Contract.objects.none()
    serializer_class = s.ContractSerializer
    create_serializer_class = s.ContractCreateSerializer
    update_serializer_class = s.ContractUpdateSerializer
    filterset_class = sales_filters.ContractFilter
    parser_classes: ClassVar = [JSONParser, MultiPartParser, FormParser]
    ordering_fields: ClassVar = ["id", "number", "end_date", "created_at", "updated_at"]
    search_fields: ClassVar = ["number", "title", "account__name"]
    detail_url_name = "sales-contract-detail"
    action_permissions: ClassVar = {"end": [CHANGE]}

    def get_queryset(self):
        return selectors.contract_list()

    def service_create(self, data):
        return services.contract_create(actor=self.request.user, **data)

    def service_update(self, instance, data):
        return services.contract_update(contract=instance, actor=self.request.user, **data)

    @extend_schema(request=None, responses=s.ContractSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """End the contract now."""
        contract = services.contract_end(contract=self.get_object(), actor=request.user)
        return Response(self.answer(contract))
