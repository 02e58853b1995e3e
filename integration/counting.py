"""Counting a list only where it is cheap.

A selector that knows a queryset is expensive to count (a broad search: its count would
read every match, see crm.selectors.account_search) marks it `without_count`. List pages
(integration.pages.keyset_page) and the API's counted pagination then show no count for
it. The mark lives on the queryset's SQL query, which Django copies whole into every
queryset made from it, so it survives the filters, ordering and slicing added later.
"""

from __future__ import annotations

from django.db.models import QuerySet

_MARK = "tandem_count_at_least"


def without_count(queryset: QuerySet, at_least: int) -> QuerySet:
    """`queryset`, marked as not to be counted; without filters added later, at least
    `at_least` rows match it."""
    marked = queryset.all()
    setattr(marked.query, _MARK, at_least)
    return marked


def uncounted_floor(queryset: QuerySet) -> int | None:
    """The `at_least` of a queryset marked without_count (None: count it as usual)."""
    return getattr(queryset.query, _MARK, None)
