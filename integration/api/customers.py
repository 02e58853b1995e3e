"""The 360° customer view for integrators: /api/v1/integration/customers/<account id>/…"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

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
        return bool(request.user and request.user.has_perm(VIEW_PERMISSION))


class CustomerSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="account_id")
    tags = serializers.ListField(child=serializers.CharField())

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
            "won_value",
            "last_interaction_at",
            "orders_count",
            "orders_total",
            "open_orders_count",
            "last_order_at",
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
            "last_event_at": {
                "help_text": "When the newest event applied to this view happened: how fresh it is."
            }
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
        return super().get(request, *args, **kwargs)


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
