"""Admin of integration: API tokens (created through the service, secret shown once)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from integration import (
    admin_events,  # noqa: F401 - registers the event log's admin
    admin_webhooks,  # noqa: F401 - registers the webhooks' admin
)
from integration.admin_pages import render_admin_page
from integration.errors import InvalidInput
from integration.forms import ApiTokenCreateForm
from integration.models import ApiToken, CustomerView, IdempotencyKey
from integration.services import api_token_create, api_token_revoke


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked"), ("expired", "Expired")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.active()
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "scopes", "status", "expires_at", "last_used_at"]
    list_filter = [StatusFilter, "created_at"]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    list_select_related = ["user"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "scopes",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "created_at",
    ]
    exclude = ["token_hash"]
    actions = ["revoke_tokens"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None):
        # Tokens are immutable once issued: revoke and create a new one instead.
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return self.add_token_view(request)

    def add_token_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ApiTokenCreateForm(request.POST or None)
        raw = None
        if request.method == "POST" and form.is_valid():
            try:
                token, raw = api_token_create(
                    user=form.cleaned_data["user"],
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=form.cleaned_data["expires_at"],
                )
            except InvalidInput as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
            else:
                self.log_addition(request, token, "Created API token")
                return render_admin_page(
                    self,
                    request,
                    "admin/integration/apitoken/created.html",
                    title="API token created",
                    token=token,
                    raw=raw,
                )
        return render_admin_page(
            self,
            request,
            "admin/integration/create_form.html",
            title="Create API token",
            form=form,
            submit_label="Create token",
        )

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset:
            if token.revoked_at is None:
                api_token_revoke(token=token)
                count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integration.change_apitoken")


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    """Read-only: delete a key to let its client retry (for example one stuck in progress)."""

    list_display = ["key", "principal", "method", "path", "status", "response_status", "expires_at"]
    list_filter = ["status", "response_status", "created_at"]
    search_fields = ["=key", "=principal", "path"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(CustomerView)
class CustomerViewAdmin(admin.ModelAdmin):
    """The 360° read model, read only: it is rebuilt from events, never edited by hand."""

    list_display = [
        "account_id",
        "name",
        "status",
        "owner_name",
        "contacts_count",
        "open_opportunities_count",
        "won_value",
        "last_event_at",
        "deleted",
    ]
    list_filter = ["status", "deleted"]
    search_fields = ["=account_id", "name"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
