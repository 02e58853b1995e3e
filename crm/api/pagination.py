"""CRM list pages: cursor pages (no OFFSET at any depth), with a bounded count when filtered.

An unfiltered list of a million accounts has no cheap total, so it gets none. The first
page of a filtered or searched list gets `count`, counted up to COUNT_LIMIT rows only, so
the count can never turn into a scan on the hot path, and none when the search alone is
broad (integration.counting: counting it would read every match). Later pages
(`?cursor=`) skip it: the client has it from the first page, and a sync walking ten
thousand pages would otherwise count ten thousand times.
"""

from collections import OrderedDict

from rest_framework.response import Response

from integration.api.pagination import CursorPagination
from integration.counting import uncounted_floor

COUNT_LIMIT = 1_000


class FilteredCountCursorPagination(CursorPagination):
    """`{"next", "previous", "results"}`, plus `count` on the first page when a filter or
    search is given.

    A view may offer `rows_with_ids(ids)`: the queryset of its list rows for exactly those
    ids. The first counted page then costs one run of the filter instead of two.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.count = None
        self.counted = not request.query_params.get(self.cursor_query_param) and _is_filtered(
            request, view
        )
        narrow = getattr(view, "rows_with_ids", None)
        # A broad search (integration.counting) gets no count: the page only.
        counting = self.counted and uncounted_floor(queryset) is None
        if counting and narrow is not None:
            # One query finds the first COUNT_LIMIT + 1 matches in page order: their number
            # is the count and the first of them are the page, so an expensive filter (a
            # search across accounts and contacts) runs once instead of twice.
            ordering = self.get_ordering(request, queryset, view)
            ids = list(queryset.order_by(*ordering).values_list("pk", flat=True)[: COUNT_LIMIT + 1])
            self.count = len(ids) if len(ids) <= COUNT_LIMIT else None
            queryset = narrow(ids[: self.get_page_size(request) + 1])
        elif counting:
            # COUNT over a LIMITed subquery: stops after COUNT_LIMIT + 1 rows.
            total = queryset.order_by().values("pk")[: COUNT_LIMIT + 1].count()
            self.count = total if total <= COUNT_LIMIT else None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        body = OrderedDict([("next", self.get_next_link()), ("previous", self.get_previous_link())])
        if self.counted:
            body["count"] = self.count
        body["results"] = data
        return Response(body)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"] = {
            "type": "integer",
            "nullable": True,
            "description": "Only on the first page (no `cursor`) and when a filter or `search` "
            f"is given: the number of matching objects, or null when there are more than "
            f"{COUNT_LIMIT:,}.",
        }
        return response


def _is_filtered(request, view) -> bool:
    params = request.query_params
    names = {"search"}
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None:
        names |= set(filterset_class.base_filters)
    return any(params.get(name) for name in names)
