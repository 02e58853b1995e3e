"""Pagination: keyset (cursor) for collections that grow, page numbers for small bounded ones."""

from rest_framework import pagination

MAX_PAGE_SIZE = 200


class CursorPagination(pagination.CursorPagination):
    """Stable, OFFSET-free pages: `?cursor=…`; `?page_size=` up to 200. Newest first."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "-id"


class PageNumberPagination(pagination.PageNumberPagination):
    """For small, bounded collections: `?page=N`, with a total `count`."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
