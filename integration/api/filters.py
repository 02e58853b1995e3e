"""The base of every API FilterSet: django-filter's, without its per-request set-up cost."""

import copy

import django_filters
from django_filters.filters import QuerySetRequestMixin


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
