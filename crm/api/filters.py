"""Query filters of the CRM API lists (django-filter), one FilterSet per resource.

Related objects are filtered by id with integer filters, not model-choice filters: those
would load and validate against a queryset on every request.
"""

import django_filters

from crm.models import Account, Activity, Campaign, Contact, Lead, Opportunity, Segment
from integration.api.filters import (
    FilterSet,
    IdFilter,
    UtcDateTimeFilter,
    id_filter,
    owner_filter,
    updated_since_filter,
)


class AccountFilter(FilterSet):
    owner = owner_filter()
    status = django_filters.ChoiceFilter(choices=Account.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Account.Kind.choices)
    industry = django_filters.CharFilter(lookup_expr="iexact")
    country = django_filters.CharFilter(
        field_name="billing_country", lookup_expr="iexact", help_text="Billing country code."
    )
    tag = django_filters.CharFilter(field_name="tags__name", help_text="Has this tag.")
    parent = id_filter("parent", "parent account")
    domain = django_filters.CharFilter(lookup_expr="iexact")
    updated_since = updated_since_filter()

    class Meta:
        model = Account
        fields = []


class ContactFilter(FilterSet):
    account = id_filter("account", "account")
    owner = owner_filter()
    email = django_filters.CharFilter(lookup_expr="iexact")
    marketing_consent = django_filters.BooleanFilter()
    tag = django_filters.CharFilter(
        field_name="account__tags__name", help_text="The account's tag."
    )
    updated_since = updated_since_filter()

    class Meta:
        model = Contact
        fields = []


class LeadFilter(FilterSet):
    owner = owner_filter()
    status = django_filters.ChoiceFilter(choices=Lead.Status.choices)
    source = django_filters.ChoiceFilter(choices=Lead.Source.choices)
    campaign = id_filter("campaign", "campaign")
    email = django_filters.CharFilter(lookup_expr="iexact")
    updated_since = updated_since_filter()

    class Meta:
        model = Lead
        fields = []


class OpportunityFilter(FilterSet):
    account = id_filter("account", "account")
    owner = owner_filter()
    status = django_filters.ChoiceFilter(choices=Opportunity.Status.choices)
    stage = id_filter("stage", "stage")
    pipeline = IdFilter(field_name="stage__pipeline_id", help_text="Pipeline id.")
    source_campaign = id_filter("source_campaign", "source campaign")
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
    updated_since = updated_since_filter()

    class Meta:
        model = Opportunity
        fields = []


class ActivityFilter(FilterSet):
    account = id_filter("account", "account")
    contact = id_filter("contact", "contact")
    opportunity = id_filter("opportunity", "opportunity")
    owner = owner_filter()
    kind = django_filters.ChoiceFilter(choices=Activity.Kind.choices)
    done = django_filters.BooleanFilter()
    due_before = UtcDateTimeFilter(field_name="due_at", lookup_expr="lte")
    updated_since = updated_since_filter()

    class Meta:
        model = Activity
        fields = []


class CampaignFilter(FilterSet):
    owner = owner_filter()
    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices)
    segment = id_filter("segment", "segment")
    updated_since = updated_since_filter()

    class Meta:
        model = Campaign
        fields = []


class SegmentFilter(FilterSet):
    owner = owner_filter()
    updated_since = updated_since_filter()

    class Meta:
        model = Segment
        fields = []
