"""The 360° customer view for integrators: /api/v1/integration/customers/<account id>/…"""

from functools import cache

from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from integration.access import user_has_perm
from integration.api.pagination import CursorPagination
from integration.api.permissions import TokenScopes
from integration.api.serializers import EventSerializer
from integration.customer_view.selectors import customer_exists, customer_timeline
from integration.models import CustomerView
from integration.payloads import event_payload

# The view shows CRM accounts: whoever may see those may see it. Named as a string:
# integration never imports crm.
VIEW_PERMISSION = "crm.view_account"


class CanViewCustomers(permissions.BasePermission):
    message = "You may not view customers (needs permission crm.view_account)."

    def has_permission(self, request, view) -> bool:
        return user_has_perm(request.user, VIEW_PERMISSION)


class CustomerTopProductSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


def _by_currency(what: str) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2),
        read_only=True,
        help_text=f"{what} per currency, every currency's own sum (the customer's "
        'currency included), as {"EUR": "1200.00"}; currencies with nothing are left out.',
    )


class CustomerSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="account_id")
    tags = serializers.ListField(child=serializers.CharField())
    open_opportunities_by_currency = _by_currency("The open opportunities' amounts")
    won_by_currency = _by_currency("The won opportunities' amounts")
    orders_total_by_currency = _by_currency("The counted orders' totals")
    top_products = CustomerTopProductSerializer(
        many=True,
        read_only=True,
        help_text="Up to 5 products by quantity over the counted (confirmed, shipped or "
        "closed) orders; `total` sums their line totals.",
    )

    class Meta:
        model = CustomerView
        fields = [
            "id",
            "name",
            "kind",
            "status",
            "owner_id",
            "owner_name",
            "industry",
            "tags",
            "currency",
            "contacts_count",
            "open_opportunities_count",
            "open_opportunities_value",
            "open_opportunities_by_currency",
            "won_value",
            "won_by_currency",
            "last_interaction_at",
            "orders_count",
            "orders_total",
            "orders_total_by_currency",
            "open_orders_count",
            "last_order_at",
            "top_products",
            "invoiced_total",
            "paid_total",
            "outstanding_total",
            "overdue_total",
            "open_tickets_count",
            "last_ticket_at",
            "last_event_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "open_opportunities_value": {
                "help_text": "The open opportunities in `currency`, the customer's own; other "
                "currencies are in `open_opportunities_by_currency`."
            },
            "won_value": {
                "help_text": "The won opportunities in `currency`; other currencies are in "
                "`won_by_currency`."
            },
            "orders_total": {
                "help_text": "The counted orders' totals in `currency`; other currencies are in "
                "`orders_total_by_currency`."
            },
            "last_event_at": {
                "help_text": "When the newest event applied to this view happened: how fresh it is."
            },
        }


class CustomerDetailView(generics.RetrieveAPIView):
    """One customer's 360° figures, built from events; `last_event_at` says how fresh."""

    api_scope = "integration"
    permission_classes = [permissions.IsAuthenticated, TokenScopes, CanViewCustomers]
    serializer_class = CustomerSerializer
    queryset = CustomerView.objects.live()
    lookup_field = "account_id"

    @extend_schema(operation_id="customers_retrieve")
    def get(self, request: Request, *args, **kwargs) -> Response:
        # The hottest read of the API: one plain query for the shown columns and a
        # serializer built once. There are no object permissions to check.
        rows = CustomerView.objects.raw(_customer_query(), [kwargs["account_id"]])
        customer = next(iter(rows), None)
        if customer is None:
            raise NotFound("No such customer.")
        return Response(_customer_serializer().to_representation(customer))


@cache
def _customer_serializer() -> CustomerSerializer:
    """Shared by every request: building a ModelSerializer's fields costs more than the query.

    Safe to share: `to_representation` keeps no state, and these fields need no context.
    """
    return CustomerSerializer()


@cache
def _customer_query() -> str:
    """One live customer's shown columns: `CustomerView.objects.live()` by its primary key.

    Plain SQL built once from the model: compiling the ORM query would cost more than
    running it.
    """
    qn = connection.ops.quote_name
    meta = CustomerView._meta
    columns = {meta.pk.column} | {
        meta.get_field(field.source).column for field in _customer_serializer().fields.values()
    }
    return (
        f"SELECT {', '.join(qn(column) for column in sorted(columns))} "  # noqa: S608 - names from the model
        f"FROM {qn(meta.db_table)} "
        f"WHERE {qn(meta.pk.column)} = %s AND NOT {qn(meta.get_field('deleted').column)}"
    )


class TimelinePagination(CursorPagination):
    ordering = "-seq"


class CustomerTimelineView(generics.ListAPIView):
    """Every event about the customer, newest first; follow `next` for older ones."""

    api_scope = "integration"
    permission_classes = [permissions.IsAuthenticated, TokenScopes, CanViewCustomers]
    serializer_class = EventSerializer
    pagination_class = TimelinePagination
    filter_backends: list = []

    def get_queryset(self):
        return customer_timeline(self.kwargs["account_id"])

    @extend_schema(operation_id="customers_timeline_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        if not customer_exists(kwargs["account_id"]):
            raise NotFound("No such customer.")
        paginator = self.paginator
        page = paginator.paginate_queryset(self.get_queryset(), request, view=self)
        return paginator.get_paginated_response([event_payload(e) for e in page])
