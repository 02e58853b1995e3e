"""Admin for webhooks: subscriptions (secret shown once, enable/disable), deliveries, attempts."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from integration.admin_pages import render_admin_page
from integration.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from integration.webhooks import (
    clean_event_types,
    clean_secret,
    clean_url,
    webhook_delivery_retry,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_disable,
    webhook_subscription_enable,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)


class EventTypesField(forms.CharField):
    """Event types and patterns, one per line or comma-separated."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value)
        return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.CharField(max_length=2000, label="URL", help_text="An http(s) URL.")
    event_types = EventTypesField(
        help_text="Registered event types or patterns (crm.account.*, or * for every event), "
        "one per line."
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "event_types", "description"]

    # The services' checks (http(s) on a public address, registered types), by the fields.
    def clean_url(self) -> str:
        return clean_url(self.cleaned_data["url"])

    def clean_event_types(self) -> list[str]:
        return clean_event_types(self.cleaned_data["event_types"])


class WebhookSubscriptionCreateForm(WebhookSubscriptionForm):
    secret = forms.CharField(
        required=False,
        strip=False,
        help_text="Leave empty to have a strong one generated. Shown once, after saving.",
    )

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"]
        return clean_secret(secret) if secret else ""


class HealthFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [("ok", "Active, last attempt ok"), ("failing", "Failing"), ("disabled", "Disabled")]

    def queryset(self, request, queryset):
        if self.value() == "ok":
            return queryset.filter(active=True, consecutive_failures=0)
        if self.value() == "failing":
            return queryset.filter(active=True, consecutive_failures__gt=0)
        if self.value() == "disabled":
            return queryset.filter(active=False)
        return queryset


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = [
        "url",
        "description",
        "patterns",
        "health",
        "consecutive_failures",
        "last_success_at",
        "disabled_reason",
    ]
    list_filter = ["active", HealthFilter, "created_at"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "active",
        "consecutive_failures",
        "failing_since",
        "last_success_at",
        "last_failure_at",
        "disabled_at",
        "disabled_reason",
        "created_by",
        "created_at",
        "updated_at",
    ]
    actions = ["enable", "disable", "regenerate_secret"]

    @admin.display(description="event types")
    def patterns(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.event_types)

    @admin.display(description="status", ordering="active")
    def health(self, obj: WebhookSubscription) -> str:
        return obj.status

    def save_model(self, request, obj, form, change):
        # Only changes reach here: adding has its own view, through the service.
        webhook_subscription_update(
            subscription=obj,
            url=form.cleaned_data["url"],
            event_types=form.cleaned_data["event_types"],
            description=form.cleaned_data["description"],
        )

    def delete_model(self, request, obj):
        webhook_subscription_delete(subscription=obj)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            webhook_subscription_delete(subscription=subscription)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = WebhookSubscriptionCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                subscription, secret = webhook_subscription_create(
                    url=form.cleaned_data["url"],
                    event_types=form.cleaned_data["event_types"],
                    description=form.cleaned_data["description"],
                    secret=form.cleaned_data["secret"] or None,
                    created_by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.log_addition(request, subscription, "Created webhook subscription")
                return self._secrets_response(request, [(subscription, secret)], created=True)
        return render_admin_page(
            self,
            request,
            "admin/integration/create_form.html",
            title="Add webhook subscription",
            form=form,
            submit_label="Create subscription",
        )

    def _secrets_response(self, request: HttpRequest, pairs, *, created: bool) -> HttpResponse:
        return render_admin_page(
            self,
            request,
            "admin/integration/webhooksubscription/secret.html",
            title="Webhook subscription created" if created else "Webhook secrets regenerated",
            pairs=pairs,
            created=created,
        )

    @admin.action(description="Enable selected subscriptions", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            webhook_subscription_enable(subscription=subscription)
        self.message_user(request, f"Enabled {len(queryset)} subscription(s).", messages.SUCCESS)

    @admin.action(description="Disable selected subscriptions", permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        reason = f"Disabled in admin by {request.user.get_username()}."
        for subscription in queryset:
            webhook_subscription_disable(subscription=subscription, reason=reason)
        self.message_user(request, f"Disabled {len(queryset)} subscription(s).", messages.SUCCESS)

    @admin.action(
        description="Regenerate the secret of selected subscriptions", permissions=["change"]
    )
    def regenerate_secret(
        self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]
    ) -> HttpResponse:
        pairs = [
            webhook_subscription_rotate_secret(subscription=subscription)
            for subscription in queryset
        ]
        for subscription, _ in pairs:
            self.log_change(request, subscription, "Regenerated the secret")
        return self._secrets_response(request, pairs, created=False)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "ok", "status_code", "latency_ms", "error", "snippet"]
    readonly_fields = fields
    ordering = ["-number"]

    @admin.display(description="response")
    def snippet(self, obj: WebhookAttempt) -> str:
        return format_html("<pre>{}</pre>", obj.response_snippet)

    def has_add_permission(self, request, obj=None):
        return False


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnlyAdmin):
    list_display = [
        "id",
        "subscription",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
        "short_error",
    ]
    list_filter = ["status", "subscription", "event__type"]
    search_fields = ["=event__uuid", "subscription__url", "last_error"]
    list_select_related = ["event", "subscription"]
    readonly_fields = [
        "subscription",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
        "updated_at",
    ]
    inlines = [WebhookAttemptInline]
    actions = ["retry"]
    show_full_result_count = False  # grows with the event log: no COUNT(*) per page

    @admin.display(description="event type", ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    @admin.display(description="last error")
    def short_error(self, obj: WebhookDelivery) -> str:
        return obj.last_error[:120]

    @admin.action(description="Retry selected deliveries now", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = webhook_delivery_retry(queryset)
        self.message_user(
            request,
            f"Retrying {count} deliveries (those of disabled subscriptions wait until enabled).",
            messages.SUCCESS,
        )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integration.change_webhookdelivery")


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(_ReadOnlyAdmin):
    list_display = [
        "id",
        "delivery",
        "number",
        "started_at",
        "ok",
        "status_code",
        "latency_ms",
        "error",
    ]
    list_filter = ["ok", "status_code", "delivery__subscription", "started_at"]
    search_fields = ["=delivery__event__uuid", "url", "error"]
    list_select_related = ["delivery"]
    readonly_fields = [
        "delivery",
        "number",
        "url",
        "started_at",
        "ok",
        "status_code",
        "latency_ms",
        "response_snippet",
        "error",
    ]
    show_full_result_count = False
