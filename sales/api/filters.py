"""Query filters of the sales API lists (django-filter), one FilterSet per resource."""

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from integration.api.filters import FilterSet
from sales.models import Contract, PriceList, Quote, SalesOrder

MAX_ID = 2**63 - 1


class _IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A whole, positive id: `?account=1.5` is bad input, not a query."""

    field_class = _IdField


class _UtcDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError("Out of the supported range.", code="invalid") from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _UtcDateTimeField


def _updated_since():
    return UtcDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Changed at or after this time (ISO 8601), e.g. for incremental syncs.",
    )


def _id(field: str, what: str):
    return IdFilter(field_name=f"{field}_id", help_text=f"The {what}'s id.")


class QuoteFilter(FilterSet):
    account = _id("account", "account")
    opportunity = _id("opportunity", "opportunity")
    owner = _id("owner", "owner")
    status = django_filters.ChoiceFilter(choices=Quote.Status.choices)
    updated_since = _updated_since()

    class Meta:
        model = Quote
        fields = []


class OrderFilter(FilterSet):
    account = _id("account", "account")
    quote = _id("quote", "quote")
    warehouse = _id("warehouse", "warehouse")
    owner = _id("owner", "owner")
    status = django_filters.ChoiceFilter(choices=SalesOrder.Status.choices)
    updated_since = _updated_since()

    class Meta:
        model = SalesOrder
        fields = []


class ContractFilter(FilterSet):
    account = _id("account", "account")
    status = django_filters.ChoiceFilter(choices=Contract.Status.choices)
    ends_before = django_filters.DateFilter(
        field_name="end_date", lookup_expr="lte", help_text="Ends on or before this date."
    )
    updated_since = _updated_since()

    class Meta:
        model = Contract
        fields = []


class PriceListFilter(FilterSet):
    currency = django_filters.CharFilter(lookup_expr="iexact")
    segment = _id("segment", "segment")
    active = django_filters.BooleanFilter()
    updated_since = _updated_since()

    class Meta:
        model = PriceList
        fields = []
