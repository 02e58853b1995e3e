"""Admin for the event log and deliveries: filters, the error of each failure, replay."""

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from integration import dispatch as bus
from integration.models import Delivery, Event
from integration.tasks import queue_dispatch


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["subscriber", "status", "attempts", "lost", "next_attempt_at", "done_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "type", "subject", "customer_id", "actor_label", "uuid"]
    list_filter = ["type", "actor_type", "occurred_at"]
    search_fields = ["=uuid", "type", "subject_id", "=customer_id", "actor_label"]
    date_hierarchy = "occurred_at"
    inlines = [DeliveryInline]
    readonly_fields = [
        "uuid",
        "type",
        "version",
        "occurred_at",
        "txid",
        "actor_type",
        "actor_id",
        "actor_label",
        "customer_id",
        "subject_type",
        "subject_id",
        "subject_version",
        "pretty_data",
    ]
    exclude = ["data"]
    show_full_result_count = False  # the log grows without bound: no COUNT(*) per page

    @admin.display(description="subject")
    def subject(self, obj: Event) -> str:
        return f"{obj.subject_type}:{obj.subject_id}"

    @admin.display(description="data")
    def pretty_data(self, obj: Event) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.data, indent=2, ensure_ascii=False))

    def has_add_permission(self, request):
        return False  # events are written by services only

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the log is permanent


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "subscriber",
        "status",
        "event_type",
        "customer_id",
        "attempts",
        "lost",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", "subscriber", "event__type"]
    search_fields = ["=event__uuid", "=event__customer_id", "subscriber", "last_error"]
    list_select_related = ["event"]
    readonly_fields = [
        "event",
        "subscriber",
        "status",
        "attempts",
        "lost",
        "next_attempt_at",
        "lease_until",
        "done_at",
        "created_at",
        "updated_at",
        "error",
    ]
    exclude = ["last_error"]
    actions = ["replay"]
    show_full_result_count = False

    @admin.display(description="event type", ordering="event__type")
    def event_type(self, obj: Delivery) -> str:
        return obj.event.type

    @admin.display(description="customer", ordering="event__customer_id")
    def customer_id(self, obj: Delivery) -> int | None:
        return obj.event.customer_id

    @admin.display(description="last error")
    def short_error(self, obj: Delivery) -> str:
        lines = obj.last_error.strip().splitlines()
        return lines[-1][:120] if lines else ""

    @admin.display(description="last error")
    def error(self, obj: Delivery) -> str:
        return format_html("<pre>{}</pre>", obj.last_error)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Replay selected deliveries", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = bus.replay(Delivery.objects.filter(pk__in=ids))
        queue_dispatch(ids)
        self.message_user(request, f"Replaying {count} deliveries.", messages.SUCCESS)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integration.change_delivery")
