"""The base of every API FilterSet (django-filter's, without its per-request set-up cost)
and the filters the domain APIs share.

Related objects are filtered by id with integer filters, not model-choice filters: those
would load and validate against a queryset on every request.
"""

import copy
from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from django_filters.filters import QuerySetRequestMixin
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

MAX_ID = 2**63 - 1


class FilterSet(django_filters.FilterSet):
    """A django-filter FilterSet whose filters and form class are built once per class.

    django-filter deep-copies every filter and builds a new form class (with new form
    fields) for each request; for a list endpoint that cost as much as its queries. Our
    filters keep no per-request state beyond `model` and `parent`, which are set on shallow
    copies here, and their form fields depend on nothing but the filter's declaration.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        base_filters = self.base_filters
        # django-filter's __init__ without the deep copy of the filters.
        self.base_filters = {}
        try:
            super().__init__(data, queryset, request=request, prefix=prefix)
        finally:
            del self.base_filters
        model = self.queryset.model
        self.filters = {}
        for name, declared in base_filters.items():
            filter_ = copy.copy(declared)
            filter_.model = model
            filter_.parent = self
            if declared.method is not None:
                filter_.method = declared.method  # binds a FilterMethod to the copy
            self.filters[name] = filter_

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_cached_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            if not any(isinstance(f, QuerySetRequestMixin) for f in self.filters.values()):
                # A filter whose choices come from the request must build its field anew.
                cls._cached_form_class = form_class
        return form_class


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


def id_filter(field: str, what: str) -> IdFilter:
    """`?<field>=<id>`: filters on `<field>_id`, documented as "The <what>'s id."."""
    return IdFilter(field_name=f"{field}_id", help_text=f"The {what}'s id.")


def owner_filter() -> IdFilter:
    return IdFilter(field_name="owner_id", help_text="The owner's user id.")


def updated_since_filter() -> UtcDateTimeFilter:
    return UtcDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Changed at or after this time (ISO 8601), e.g. for incremental syncs.",
    )
