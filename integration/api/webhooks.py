"""Webhook subscriptions for integrators: /api/v1/integration/webhooks/.

The secret is in the answer to the create (and rotate-secret) request only; reads never
show it. Every write goes through the services in integration.webhooks.
"""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from integration.api.etag import IF_MATCH, IF_NONE_MATCH, ETagMixin
from integration.api.filters import FilterSet
from integration.models import WebhookSubscription
from integration.webhooks import (
    MAX_EVENT_TYPES,
    MAX_SECRET_LENGTH,
    MAX_URL_LENGTH,
    MIN_SECRET_LENGTH,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_disable,
    webhook_subscription_enable,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)

STATUSES = ["active", "failing", "disabled"]

# ---------------------------------------------------------------- serializers


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(
        choices=STATUSES,
        read_only=True,
        help_text="`failing`: active, but its last attempts failed; `disabled`: not sent to.",
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "active",
            "status",
            "consecutive_failures",
            "failing_since",
            "last_success_at",
            "last_failure_at",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookSubscriptionWithSecretSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="Signs every delivery. Shown in this answer only: store it now.",
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class _SecretField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            write_only=True,
            trim_whitespace=False,
            min_length=MIN_SECRET_LENGTH,
            max_length=MAX_SECRET_LENGTH,
            help_text="Leave out to have a strong one generated (and returned once).",
            **kwargs,
        )


class _EventTypesField(serializers.ListField):
    """A list of event types whose item errors are flat messages, as the error schema says."""

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            items = exc.detail.items() if isinstance(exc.detail, dict) else []
            messages = [f"Item {index}: {error}" for index, errors in items for error in errors]
            raise serializers.ValidationError(messages or exc.detail) from exc


class WebhookSubscriptionUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=MAX_URL_LENGTH, help_text="An http(s) URL on a public address."
    )
    event_types = _EventTypesField(
        child=serializers.CharField(max_length=100),
        allow_empty=False,
        max_length=MAX_EVENT_TYPES,
        help_text="Registered event types or patterns with `*`, e.g. `crm.account.*`.",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class WebhookSubscriptionCreateSerializer(WebhookSubscriptionUpdateSerializer):
    secret = _SecretField()


class RotateSecretSerializer(serializers.Serializer):
    secret = _SecretField()


# ---------------------------------------------------------------- views


class WebhookSubscriptionFilter(FilterSet):
    active = django_filters.BooleanFilter()
    status = django_filters.ChoiceFilter(choices=[(s, s) for s in STATUSES], method="filter_status")

    class Meta:
        model = WebhookSubscription
        fields = ["active"]

    def filter_status(self, queryset, name, value):
        if value == "disabled":
            return queryset.filter(active=False)
        if value == "failing":
            return queryset.filter(active=True, consecutive_failures__gt=0)
        return queryset.filter(active=True, consecutive_failures=0)


@extend_schema_view(
    update=extend_schema(request=WebhookSubscriptionUpdateSerializer, parameters=[IF_MATCH]),
    partial_update=extend_schema(
        request=WebhookSubscriptionUpdateSerializer, parameters=[IF_MATCH]
    ),
    retrieve=extend_schema(parameters=[IF_NONE_MATCH]),
)
class WebhookSubscriptionViewSet(ETagMixin, viewsets.ModelViewSet):
    """Webhook subscriptions: URLs that receive the matching events, signed, as they happen."""

    api_scope = "integration"
    queryset = WebhookSubscription.objects.none()  # for ModelPermissions; see get_queryset
    serializer_class = WebhookSubscriptionSerializer
    filterset_class = WebhookSubscriptionFilter
    search_fields = ["url", "description"]
    ordering_fields = ["id", "created_at", "url"]
    action_permissions = {
        name: ["%(app_label)s.change_%(model_name)s"]
        for name in ("enable", "disable", "rotate_secret")
    }

    def get_queryset(self):
        return WebhookSubscription.objects.all()

    @extend_schema(
        request=WebhookSubscriptionCreateSerializer,
        responses={201: WebhookSubscriptionWithSecretSerializer},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Subscribe a URL. The answer carries the secret, this once."""
        data = _valid(WebhookSubscriptionCreateSerializer, request.data)
        subscription, secret = webhook_subscription_create(
            url=data["url"],
            event_types=data["event_types"],
            description=data.get("description", ""),
            secret=data.get("secret"),
            created_by=request.user,
        )
        body = WebhookSubscriptionWithSecretSerializer(subscription).data
        body["secret"] = secret
        location = reverse("webhook-detail", args=[subscription.pk], request=request)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    def apply_update(self, request: Request, *args, **kwargs) -> Response:
        # Runs after ETagMixin checked If-Match, with the subscription's row locked.
        partial = kwargs.pop("partial", False)
        data = _valid(WebhookSubscriptionUpdateSerializer, request.data, partial=partial)
        if not partial:
            data.setdefault("description", "")
        subscription = webhook_subscription_update(subscription=self.get_object(), **data)
        return Response(self.get_serializer(subscription).data)

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        webhook_subscription_delete(subscription=instance)

    @extend_schema(request=None, responses=WebhookSubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        """Send again: clears the failure count and disabled reason; parked deliveries go out."""
        subscription = webhook_subscription_enable(subscription=self.get_object())
        return Response(self.get_serializer(subscription).data)

    @extend_schema(request=None, responses=WebhookSubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str | None = None) -> Response:
        """Stop sending. Events that happen while disabled are not delivered later."""
        subscription = webhook_subscription_disable(
            subscription=self.get_object(),
            reason=f"Disabled through the API by {request.user.get_username()}.",
        )
        return Response(self.get_serializer(subscription).data)

    @extend_schema(
        request=RotateSecretSerializer, responses=WebhookSubscriptionWithSecretSerializer
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """Replace the secret (yours, or a generated one); the answer carries it, this once."""
        data = _valid(RotateSecretSerializer, request.data)
        subscription, secret = webhook_subscription_rotate_secret(
            subscription=self.get_object(), secret=data.get("secret")
        )
        body = WebhookSubscriptionWithSecretSerializer(subscription).data
        body["secret"] = secret
        return Response(body)


def _valid(serializer_class: type[serializers.Serializer], data, *, partial: bool = False) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
