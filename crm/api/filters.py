"""Query filters of the CRM API lists (django-filter), one FilterSet per resource.

Related objects are filtered by id with integer filters, not model-choice filters: those
would load and validate against a queryset on every request.
"""

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from crm.models import Account, Activity, Campaign, Contact, Lead, Opportunity, Segment
from integration.api.filters import FilterSet

MAX_ID = 2**63 - 1


class _IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A whole, positive id: `?owner=1.5` or an id past bigint is bad input, not a query."""

    field_class = _IdField


class _UtcDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        # PostgreSQL refuses UTC offsets past ±15:59 that ISO 8601 allows: send UTC.
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError("Out of the supported range.", code="invalid") from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time, compared in UTC."""

    field_class = _UtcDateTimeField


def _owner():
    return IdFilter(field_name="owner_id", help_text="The owner's user id.")


def _updated_since():
    return UtcDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Changed at or after this time (ISO 8601), e.g. for incremental syncs.",
    )


def _id(field: str, what: str):
    return IdFilter(field_name=f"{field}_id", help_text=f"The {what}'s id.")


class AccountFilter(FilterSet):
    owner = _owner()
    status = django_filters.ChoiceFilter(choices=Account.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Account.Kind.choices)
    industry = django_filters.CharFilter(lookup_expr="iexact")
    country = django_filters.CharFilter(
        field_name="billing_country", lookup_expr="iexact", help_text="Billing country code."
    )
    tag = django_filters.CharFilter(field_name="tags__name", help_text="Has this tag.")
    parent = _id("parent", "parent account")
    domain = django_filters.CharFilter(lookup_expr="iexact")
    updated_since = _updated_since()

    class Meta:
        model = Account
        fields = []


class ContactFilter(FilterSet):
    account = _id("account", "account")
    owner = _owner()
    email = django_filters.CharFilter(lookup_expr="iexact")
    marketing_consent = django_filters.BooleanFilter()
    tag = django_filters.CharFilter(
        field_name="account__tags__name", help_text="The account's tag."
    )
    updated_since = _updated_since()

    class Meta:
        model = Contact
        fields = []


class LeadFilter(FilterSet):
    owner = _owner()
    status = django_filters.ChoiceFilter(choices=Lead.Status.choices)
    source = django_filters.ChoiceFilter(choices=Lead.Source.choices)
    campaign = _id("campaign", "campaign")
    email = django_filters.CharFilter(lookup_expr="iexact")
    updated_since = _updated_since()

    class Meta:
        model = Lead
        fields = []


class OpportunityFilter(FilterSet):
    account = _id("account", "account")
    owner = _owner()
    status = django_filters.ChoiceFilter(choices=Opportunity.Status.choices)
    stage = _id("stage", "stage")
    pipeline = IdFilter(field_name="stage__pipeline_id", help_text="Pipeline id.")
    source_campaign = _id("source_campaign", "source campaign")
    tag = django_filters.CharFilter(
        field_name="account__tags__name", help_text="The account's tag."
    )
    close_after = django_filters.DateFilter(
        field_name="expected_close_date",
        lookup_expr="gte",
        help_text="Expected to close on or after.",
    )
    close_before = django_filters.DateFilter(
        field_name="expected_close_date",
        lookup_expr="lte",
        help_text="Expected to close on or before.",
    )
    updated_since = _updated_since()

    class Meta:
        model = Opportunity
        fields = []


class ActivityFilter(FilterSet):
    account = _id("account", "account")
    contact = _id("contact", "contact")
    opportunity = _id("opportunity", "opportunity")
    owner = _owner()
    kind = django_filters.ChoiceFilter(choices=Activity.Kind.choices)
    done = django_filters.BooleanFilter()
    due_before = UtcDateTimeFilter(field_name="due_at", lookup_expr="lte")
    updated_since = _updated_since()

    class Meta:
        model = Activity
        fields = []


class CampaignFilter(FilterSet):
    owner = _owner()
    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices)
    segment = _id("segment", "segment")
    updated_since = _updated_since()

    class Meta:
        model = Campaign
        fields = []


class SegmentFilter(FilterSet):
    owner = _owner()
    updated_since = _updated_since()

    class Meta:
        model = Segment
        fields = []
