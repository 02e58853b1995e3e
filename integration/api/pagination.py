"""Pagination: keyset (cursor) for collections that grow, page numbers for small bounded ones.

A malformed `page_size` or `cursor` is bad input (400 naming the parameter), not
something to silently replace with a default.
"""

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

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError(
                {self.cursor_query_param: ["Invalid cursor: use a `next` or `previous` link."]}
            ) from exc


class PageNumberPagination(_StrictPageSize, pagination.PageNumberPagination):
    """For small, bounded collections: `?page=N`, with a total `count`."""

    page_size = 50
