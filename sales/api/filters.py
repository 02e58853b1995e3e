"""Query filters of the sales API lists (django-filter), one FilterSet per resource."""

import django_filters

from integration.api.filters import FilterSet, id_filter, updated_since_filter
from sales.models import Contract, PriceList, Quote, SalesOrder


class QuoteFilter(FilterSet):
    account = id_filter("account", "account")
    opportunity = id_filter("opportunity", "opportunity")
    owner = id_filter("owner", "owner")
    status = django_filters.ChoiceFilter(choices=Quote.Status.choices)
    updated_since = updated_since_filter()

    class Meta:
        model = Quote
        fields = []


class OrderFilter(FilterSet):
    account = id_filter("account", "account")
    quote = id_filter("quote", "quote")
    warehouse = id_filter("warehouse", "warehouse")
    owner = id_filter("owner", "owner")
    status = django_filters.ChoiceFilter(choices=SalesOrder.Status.choices)
    updated_since = updated_since_filter()

    class Meta:
        model = SalesOrder
        fields = []


class ContractFilter(FilterSet):
    account = id_filter("account", "account")
    status = django_filters.ChoiceFilter(choices=Contract.Status.choices)
    ends_before = django_filters.DateFilter(
        field_name="end_date", lookup_expr="lte", help_text="Ends on or before this date."
    )
    updated_since = updated_since_filter()

    class Meta:
        model = Contract
        fields = []


class PriceListFilter(FilterSet):
    currency = django_filters.CharFilter(lookup_expr="iexact")
    segment = id_filter("segment", "segment")
    active = django_filters.BooleanFilter()
    updated_since = updated_since_filter()

    class Meta:
        model = PriceList
        fields = []
