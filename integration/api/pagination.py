"""Pagination: keyset (cursor) for collections that grow, page numbers for small bounded ones.

A malformed `page_size` or `cursor` is bad input (400 naming the parameter), not
something to silently replace with a default.
"""

from django.core.exceptions import FieldDoesNotExist
from rest_framework import exceptions, pagination

MAX_PAGE_SIZE = 200


class _StrictPageSize:
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
        return parameters


class CursorPagination(_StrictPageSize, pagination.CursorPagination):
    """Stable, OFFSET-free pages: `?cursor=…`; `?page_size=` up to 200. Newest first."""

    page_size = 50
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        """The requested (or default) ordering, made total: a first field that is not
        unique ("name") is followed by the primary key in the same direction. DRF finds a
        page's tied rows by an offset, which is only right if every query returns ties in
        the same order; without the key PostgreSQL returns them in whatever order its plan
        gives (one match shown twice, another never)."""
        ordering = tuple(super().get_ordering(request, queryset, view))
        if ordering and not _total(queryset.model, ordering):
            ordering += (("-" if ordering[0].startswith("-") else "") + "pk",)
        return ordering

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError(
                {self.cursor_query_param: ["Invalid cursor: use a `next` or `previous` link."]}
            ) from exc


def _total(model, ordering: tuple[str, ...]) -> bool:
    """Whether `ordering` orders `model`'s rows totally: it holds the primary key or a
    unique field."""
    for name in (item.lstrip("-") for item in ordering):
        if name == "pk":
            return True
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.primary_key or field.unique:
            return True
    return False


class PageNumberPagination(_StrictPageSize, pagination.PageNumberPagination):
    """For small, bounded collections: `?page=N`, with a total `count`."""

    page_size = 50
