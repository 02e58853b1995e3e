"""Admin of the CRM: every model registered; edits of evented models go through services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from crm import services
from crm.models import (
    Account,
    Activity,
    Campaign,
    CampaignMember,
    Contact,
    Lead,
    Opportunity,
    Pipeline,
    Segment,
    Stage,
    Tag,
    WebLeadForm,
)
from integration.admin_base import ServiceAdmin, apply_each
from integration.errors import DomainError
from integration.events import acting_as

# ---------------------------------------------------------------- accounts


class ContactInline(admin.TabularInline):
    """Shown for orientation; contacts are edited on their own page (through services)."""

    model = Contact
    fields = ["first_name", "last_name", "email", "phone", "title", "marketing_consent"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OpportunityInline(admin.TabularInline):
    model = Opportunity
    fk_name = "account"
    fields = ["name", "stage", "amount", "currency", "status", "expected_close_date"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Account)
class AccountAdmin(ServiceAdmin):
    list_display = ["name", "kind", "status", "industry", "billing_country", "owner", "updated_at"]
    list_filter = ["status", "kind", "industry", "billing_country", "tags", "created_at"]
    search_fields = ["name", "normalized_name", "domain", "email", "tax_id"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "parent", "tags"]
    readonly_fields = ["normalized_name", "domain", "version", "created_at", "updated_at"]
    inlines = [ContactInline, OpportunityInline]
    date_hierarchy = "created_at"
    actions = ["merge_into_first"]
    m2m_fields = ("tags",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "kind", "status", "owner", "parent", "tags"]}),
        (
            "Profile",
            {"fields": ["industry", "size", "website", "email", "phone", "tax_id", "currency"]},
        ),
        (
            "Billing address",
            {
                "fields": [
                    "billing_street",
                    "billing_city",
                    "billing_postal_code",
                    "billing_country",
                ]
            },
        ),
        (
            "Shipping address",
            {
                "fields": [
                    "shipping_street",
                    "shipping_city",
                    "shipping_postal_code",
                    "shipping_country",
                ]
            },
        ),
        (
            "Derived",
            {"fields": ["normalized_name", "domain", "version", "created_at", "updated_at"]},
        ),
    ]

    @staticmethod
    def _tags(data: dict[str, Any]) -> list[str] | None:
        tags = data.pop("tags", None)
        return None if tags is None else [tag.name for tag in tags]

    def create(self, request, data):
        tags = self._tags(data)
        return services.account_create(name=data.pop("name"), user=request.user, tags=tags, **data)

    def update(self, obj, data):
        return services.account_update(account=obj, tags=self._tags(data), **data)

    def delete(self, obj):
        services.account_delete(account=obj)

    @admin.action(description="Merge selected accounts into the first (oldest)")
    def merge_into_first(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        accounts = list(queryset.order_by("pk"))
        if len(accounts) < 2:
            messages.warning(request, "Select at least two accounts to merge.")
            return
        into = accounts[0]
        try:
            with acting_as(request.user):
                for duplicate in accounts[1:]:
                    into = services.account_merge(into=into, duplicate=duplicate)
        except DomainError as exc:
            messages.error(request, exc.detail)
            return
        messages.success(request, f"Merged {len(accounts) - 1} account(s) into {into}.")


# ---------------------------------------------------------------- people


@admin.register(Contact)
class ContactAdmin(ServiceAdmin):
    list_display = ["__str__", "account", "email", "phone", "marketing_consent", "updated_at"]
    list_filter = ["marketing_consent", "created_at"]
    search_fields = ["first_name", "last_name", "email", "account__name"]
    list_select_related = ["account"]
    autocomplete_fields = ["account", "owner"]
    readonly_fields = ["consent_at", "version", "created_at", "updated_at"]

    def create(self, request, data):
        return services.contact_create(
            account=data.pop("account"),
            first_name=data.pop("first_name"),
            user=request.user,
            **data,
        )

    def update(self, obj, data):
        return services.contact_update(contact=obj, **data)

    def delete(self, obj):
        services.contact_delete(contact=obj)


@admin.register(Lead)
class LeadAdmin(ServiceAdmin):
    list_display = ["__str__", "email", "source", "status", "score", "owner", "created_at"]
    list_filter = ["status", "source", "campaign", "created_at"]
    search_fields = ["first_name", "last_name", "company", "email"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "campaign"]
    readonly_fields = [
        "converted_at",
        "converted_account",
        "converted_contact",
        "converted_opportunity",
        "version",
        "created_at",
        "updated_at",
    ]
    actions = ["convert_leads"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status == Lead.Status.CONVERTED:
            fields.append("status")  # a converted lead stays converted
        return fields

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        field = super().formfield_for_choice_field(db_field, request, **kwargs)
        if db_field.name == "status":
            # Converting is an action (it creates records), not a status to pick.
            field.choices = [c for c in field.choices if c[0] != Lead.Status.CONVERTED]
        return field

    def create(self, request, data):
        return services.lead_create(last_name=data.pop("last_name"), user=request.user, **data)

    def update(self, obj, data):
        return services.lead_update(lead=obj, **data)

    def delete(self, obj):
        obj.delete()  # no event type for a deleted lead; nothing else refers to it

    @admin.action(description="Convert selected leads (new account and contact each)")
    def convert_leads(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        converted, refused = apply_each(
            request, queryset, lambda lead: services.lead_convert(lead=lead, user=request.user)
        )
        if converted:
            messages.success(request, f"Converted {converted} lead(s).")
        if refused:
            messages.error(request, "Not converted — " + "; ".join(refused))


# ---------------------------------------------------------------- pipeline


class StageInline(admin.TabularInline):
    model = Stage
    fields = ["position", "name", "probability", "outcome"]
    extra = 0
    ordering = ["position"]


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default"]
    search_fields = ["name"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "pipeline", "position", "probability", "outcome"]
    list_filter = ["pipeline", "outcome"]
    search_fields = ["name", "pipeline__name"]
    list_select_related = ["pipeline"]
    ordering = ["pipeline", "position"]


@admin.register(Opportunity)
class OpportunityAdmin(ServiceAdmin):
    list_display = [
        "name",
        "account",
        "stage",
        "amount",
        "currency",
        "status",
        "expected_close_date",
        "owner",
    ]
    list_filter = ["status", "stage__pipeline", "stage", "currency", "expected_close_date"]
    search_fields = ["name", "account__name"]
    list_select_related = ["account", "stage", "owner"]
    autocomplete_fields = ["account", "contact", "owner", "source_campaign", "stage"]
    readonly_fields = ["status", "probability", "closed_at", "version", "created_at", "updated_at"]
    date_hierarchy = "created_at"

    def create(self, request, data):
        return services.opportunity_create(
            account=data.pop("account"),
            name=data.pop("name"),
            user=request.user,
            amount=data.pop("amount"),
            stage=data.pop("stage", None),
            **data,
        )

    def update(self, obj, data):
        return services.opportunity_update(opportunity=obj, **data)

    def delete(self, obj):
        services.opportunity_delete(opportunity=obj)


@admin.register(Activity)
class ActivityAdmin(ServiceAdmin):
    list_display = ["subject", "kind", "account", "owner", "due_at", "done"]
    list_filter = ["kind", "done", "due_at"]
    search_fields = ["subject", "notes", "account__name"]
    list_select_related = ["account", "owner"]
    autocomplete_fields = ["account", "contact", "opportunity", "owner"]
    readonly_fields = ["done_at", "version", "created_at", "updated_at"]
    actions = ["complete_activities"]

    def create(self, request, data):
        return services.activity_log(
            subject=data.pop("subject"), kind=data.pop("kind"), user=request.user, **data
        )

    def update(self, obj, data):
        return services.activity_update(activity=obj, **data)

    def delete(self, obj):
        services.activity_delete(activity=obj)

    @admin.action(description="Mark selected activities done")
    def complete_activities(self, request: HttpRequest, queryset: QuerySet[Activity]) -> None:
        with acting_as(request.user):
            for activity in queryset.filter(done=False):
                services.activity_complete(activity=activity)
        messages.success(request, "Marked done.")


# ---------------------------------------------------------------- marketing


@admin.register(Segment)
class SegmentAdmin(ServiceAdmin):
    list_display = ["name", "criteria", "owner", "updated_at"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["version", "created_at", "updated_at"]

    def create(self, request, data):
        return services.segment_create(name=data.pop("name"), user=request.user, **data)

    def update(self, obj, data):
        return services.segment_update(segment=obj, **data)

    def delete(self, obj):
        services.segment_delete(segment=obj)


class CampaignMemberInline(admin.TabularInline):
    model = CampaignMember
    fields = ["contact", "status", "updated_at"]
    readonly_fields = ["contact", "updated_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # members are recorded by sending the campaign


@admin.register(Campaign)
class CampaignAdmin(ServiceAdmin):
    list_display = ["name", "segment", "status", "sent_at", "owner", "created_at"]
    list_filter = ["status", "sent_at"]
    search_fields = ["name", "subject"]
    list_select_related = ["segment", "owner"]
    autocomplete_fields = ["segment", "owner"]
    readonly_fields = ["status", "sent_at", "version", "created_at", "updated_at"]
    inlines = [CampaignMemberInline]
    actions = ["send_campaigns"]

    def create(self, request, data):
        return services.campaign_create(name=data.pop("name"), user=request.user, **data)

    def update(self, obj, data):
        return services.campaign_update(campaign=obj, **data)

    def delete(self, obj):
        obj.delete()  # no event type for a deleted campaign

    @admin.action(description="Send selected campaigns now")
    def send_campaigns(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        with acting_as(request.user):
            for campaign in queryset:
                try:
                    services.campaign_send(campaign=campaign)
                except DomainError as exc:
                    messages.error(request, f"{campaign}: {exc.detail}")
                else:
                    messages.success(request, f"{campaign}: sent.")


@admin.register(CampaignMember)
class CampaignMemberAdmin(admin.ModelAdmin):
    list_display = ["contact", "campaign", "status", "updated_at"]
    list_filter = ["status", "campaign"]
    search_fields = ["contact__email", "contact__last_name", "campaign__name"]
    list_select_related = ["contact", "campaign"]
    autocomplete_fields = ["contact", "campaign"]


@admin.register(WebLeadForm)
class WebLeadFormAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "active", "campaign", "owner"]
    list_filter = ["active"]
    search_fields = ["name", "key"]
    autocomplete_fields = ["campaign", "owner"]
    readonly_fields = ["key", "created_at", "updated_at"]
