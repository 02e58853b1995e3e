"""A broad search's pages: a short walk in page order, then a sort of what is left.

A search that thousands of rows match ("data" in 25,000 company names of a million) has
two ways to find its page, and each is a trap on its own:

- walking an index in page order and testing each row stops after a page's worth of
  matches when they are spread, but walks half the table when they cluster ("Nordic …"
  sits under N, and a walk from A passes 667,000 names before the first);
- fetching every match through the search's own indexes and sorting them costs what
  the matches cost, whatever the page: tens of milliseconds for a common word.

`walked` gives a list both. A page (a LIMITed fetch) first walks a few rows per row
asked for (`rows_per_match`, by the field the order starts with), from where the page
starts, testing each row (`rows`). If that finds the page, it is the page: a term that
matches one row in `rows_per_match` usually finds it there. Otherwise only the matches
after the walked rows are fetched, through each side's own index (`sides`), each side
sorted and cut to what is still missing, and then those rows in page order. Every other
use of the queryset (a count, a CSV export, a subquery) sees every match, the union of
the sides, so the queryset is right wherever it goes.

A search may also know its matches in page order from an index of its own (`listed`: the
CRM's account words give a word's accounts in name order): a page then asks it first, and
walks only when it cannot answer. Its answer is SQL that the page's own statement reads
the rows through, so the page costs one query.

The walk needs no help from the caller: the pages (integration.pages.keyset_page) and the
API's cursor pagination add their cursor and their LIMIT as usual. The rows walked are the
list's own rows after the cursor (its filters, not the search), in the list's order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, FullResultSet
from django.db import models
from django.db.models import F, Func, Q, QuerySet, Subquery
from django.db.models.expressions import Expression, OrderBy, RawSQL
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode

from integration.counting import without_count

_PLAN = "tandem_walk_plan"
_UNSEARCHED = "tandem_walk_unsearched"


class _Search(Expression):
    """The search's condition in a WHERE clause: `condition`, except in the walk's own
    queries, which see the list without it (the rows they walk)."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, condition: Q) -> None:
        super().__init__(output_field=models.BooleanField())
        self.condition = condition

    def get_source_expressions(self) -> list[Any]:
        return [self.condition]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.condition,) = exprs

    def as_sql(self, compiler, connection, **extra_context):
        if getattr(compiler.query, _UNSEARCHED, False):
            raise FullResultSet  # the clause drops out: every row of the list
        return compiler.compile(self.condition)


# A page of a search from its own index: (the list without the search after the cursor,
# its order as (field, descending) pairs, how many rows) -> a query (RawSQL) of the ids of
# at least the first that many matches in that order (any more are cut by the page), or
# None: cannot answer.
Listed = Callable[[QuerySet, list[tuple[models.Field, bool]], int], RawSQL | None]


@dataclass(frozen=True)
class _Plan:
    rows: Q | Callable[[], Q]
    sides: Sequence[Q] | Callable[[], Sequence[Q]]
    rows_per_match: dict[str, int]
    listed: Listed | None = None

    def rows_q(self) -> Q:
        return self.rows() if callable(self.rows) else self.rows

    def sides_qs(self) -> Sequence[Q]:
        return self.sides() if callable(self.sides) else self.sides


def walked(
    queryset: QuerySet,
    *,
    rows: Q | Callable[[], Q],
    sides: Sequence[Q] | Callable[[], Sequence[Q]],
    rows_per_match: Mapping[str, int],
    at_least: int,
    listed: Listed | None = None,
    every: Q | None = None,
) -> QuerySet:
    """`queryset` filtered by a broad search, whose pages walk, then sort (see above).

    `rows` tests one row (what the walk applies); `sides` are the search's parts, each
    answered by its own index: their union is every match (what a count or an export
    reads). `rows_per_match` names the fields an index keeps in order (never NULL) and,
    for each, how many rows a page may walk per row asked for: fewer where matches are
    spread in that order or where testing a row costs more. A page whose order starts with
    another field is found by sorting every match. At least `at_least` rows match, and
    the lists do not count them (integration.counting). `listed`, if given, is asked for
    a page before any walk (see Listed); `every`, if given, is every match (instead of the
    union of the sides). `rows` and `sides` may be functions that build them, called only
    for a page that walks.
    """
    if every is None:
        every = _every_match(queryset.model, sides() if callable(sides) else sides)
    searched = queryset.filter(_Search(every))
    searched.__class__ = _walking_class(type(queryset))
    plan = _Plan(rows, sides, dict(rows_per_match), listed)
    setattr(searched.query, _PLAN, plan)
    return without_count(searched, at_least)


def _every_match(model: type[models.Model], sides: Sequence[Q]) -> Q:
    """The union of the sides' matches, each read through its own index (an OR of them
    would be tested row by row)."""
    if len(sides) == 1:
        return sides[0]
    ids = [model._default_manager.filter(side).order_by().values("pk") for side in sides]
    return Q(pk__in=ids[0].union(*ids[1:]))


class InArray(Expression):
    """`field` is one of the values `subquery` returns, asked as `field = ANY(ARRAY(...))`
    on PostgreSQL (elsewhere as IN).

    For a side whose matches come from another table (the accounts of matching contacts):
    PostgreSQL expects an array of a handful of values, so it looks each one up by the
    primary key. Written as IN, it hashes the matches and then reads every row after the
    cursor to probe the hash: the whole name index on a first page, 13 ms at 100,000
    accounts, growing with the table rather than with the matches."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, field: str, subquery: QuerySet) -> None:
        super().__init__(output_field=models.BooleanField())
        self.lhs = F(field)
        self.subquery = Subquery(subquery)

    def get_source_expressions(self) -> list[Any]:
        return [self.lhs, self.subquery]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.lhs, self.subquery = exprs

    def as_sql(self, compiler, connection, **extra_context):
        field, field_params = compiler.compile(self.lhs)
        values, values_params = compiler.compile(self.subquery)
        if connection.vendor == "postgresql":
            return f"{field} = ANY(ARRAY{values})", (*field_params, *values_params)
        return f"{field} IN {values}", (*field_params, *values_params)


class WalkingQuerySet(QuerySet):
    """Fetches a LIMITed page of a `walked` search by a walk, then a sort."""

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            rows = _page(self)
            if rows is not None:
                self._result_cache = rows
        super()._fetch_all()


_CLASSES: dict[type, type] = {}


def _walking_class(cls: type) -> type:
    if issubclass(cls, WalkingQuerySet):
        return cls
    if cls is QuerySet:
        return WalkingQuerySet
    if cls not in _CLASSES:
        _CLASSES[cls] = type(f"Walking{cls.__name__}", (WalkingQuerySet, cls), {})
    return _CLASSES[cls]


def _page(queryset: QuerySet) -> list[Any] | None:
    """The rows of a LIMITed fetch found by a walk, then a sort; None: fetch as usual."""
    query = queryset.query
    plan: _Plan | None = getattr(query, _PLAN, None)
    if plan is None or getattr(query, _UNSEARCHED, False):
        return None
    if query.low_mark or query.high_mark is None or query.combinator or query.distinct:
        return None
    keys = _order_keys(queryset)
    if not keys:
        return None
    wanted = query.high_mark
    # The list without the search, after the cursor, in page order; no prefetching (the
    # queryset itself prefetches once for the rows it returns).
    unsearched = queryset.prefetch_related(None)
    unsearched.query.clear_limits()
    unsearched.query.where = _without_search(unsearched.query.where)
    setattr(unsearched.query, _UNSEARCHED, True)
    listed = plan.listed(unsearched, keys, wanted) if plan.listed is not None else None
    if listed is not None:
        # The page: those rows in page order, read in the statement that lists them.
        return list(unsearched.filter(pk__in=listed)[:wanted])
    if keys[0][0].name not in plan.rows_per_match:
        return None
    ids = _walked_ids(plan, unsearched, keys, wanted)
    if not ids:
        return []
    # The page: those rows in page order (the walked ones come first), as many as asked.
    return list(unsearched.filter(pk__in=set(ids))[:wanted])


def _walked_ids(
    plan: _Plan, unsearched: QuerySet, keys: list[tuple[models.Field, bool]], wanted: int
) -> list[Any]:
    """The ids of the page's rows, maybe more (the page keeps the first `wanted` in
    order): a walk of `unsearched` in page order, then each side sorted after the walk."""
    budget = wanted * plan.rows_per_match[keys[0][0].name]
    by_name = [(field.attname, descending) for field, descending in keys]
    fields = [name for name, _ in by_name]
    bound = next(iter(unsearched.values_list(*fields)[budget - 1 : budget]), None)
    walk = unsearched.filter(plan.rows_q())
    if bound is not None:
        walk = walk.filter(keyset_q(by_name, bound, after=False))
    # The walk reads the primary keys only: the order's index holds them (and the name it
    # tests), so PostgreSQL walks the index alone. Reading each walked row from the table
    # cost 3 µs a row in name order: 51,000 rows, 180 ms, against 17 ms from the index.
    ids = list(walk.values_list("pk", flat=True)[:wanted])
    if bound is not None and len(ids) < wanted:
        # The walk found too few: the rest comes from after its last row, each side
        # through its own index and sorted by an expression no index keeps in order (a walk
        # would be the trap again), cut to what is missing.
        missing = wanted - len(ids)
        rest = unsearched.filter(keyset_q(by_name, bound, after=True))
        unindexed = [
            _unindexed(*keys[0]),
            *(_by(field, descending) for field, descending in keys[1:]),
        ]
        for side in plan.sides_qs():
            ids += rest.filter(side).order_by(*unindexed).values_list("pk", flat=True)[:missing]
    return ids


def _without_search(where: WhereNode) -> WhereNode:
    """`where` (a clone) without the search's condition where it is one of the clauses that
    all must hold: the clause would compile to nothing there (_UNSEARCHED), but every query
    built on the list (the walk, the subqueries of a Listed page) would copy and resolve
    its expressions, the sides' subqueries, for nothing."""
    if where.connector != AND or where.negated:
        return where
    where.children = [
        _without_search(child) if isinstance(child, WhereNode) else child
        for child in where.children
        if not _is_search(child)
    ]
    return where


def _is_search(clause: Any) -> bool:
    # filter() keeps a boolean expression as `expression = true` (Exact), written as the
    # expression alone.
    return isinstance(clause, _Search) or (
        isinstance(clause, Exact) and isinstance(clause.lhs, _Search) and clause.rhs is True
    )


def _order_keys(queryset: QuerySet) -> list[tuple[models.Field, bool]] | None:
    """The queryset's ordering as (field, descending) pairs, or None when it is not a plain
    list of the model's own fields that are never NULL."""
    keys = []
    for item in queryset.query.order_by:
        if isinstance(item, str):
            name, descending = item.lstrip("-"), item.startswith("-")
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            name, descending = item.expression.name, item.descending
        else:
            return None
        meta = queryset.model._meta
        try:
            field = meta.pk if name == "pk" else meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if field.null or not field.concrete or field.is_relation:
            return None
        keys.append((field, descending))
    return keys


def keyset_q(keys: Sequence[tuple[str, bool]], values: Sequence[Any], *, after: bool) -> Q:
    """Rows after `values` (strictly) in the order of `keys`, (field path, descending)
    pairs of fields that are never NULL, or up to them (inclusive) when not `after`.

    The first key is also compared on its own (name >= v AND (name > v OR …)): PostgreSQL
    starts or ends its index scan there, where an OR alone would only filter rows."""
    (name, descending), *rest = keys
    value = values[0]
    strict = "lt" if descending == after else "gt"
    if not rest:
        return Q(**{f"{name}__{strict if after else strict + 'e'}": value})
    return Q(**{f"{name}__{strict}e": value}) & (
        Q(**{f"{name}__{strict}": value})
        | (Q(**{name: value}) & keyset_q(rest, values[1:], after=after))
    )


def _by(field: models.Field, descending: bool) -> OrderBy:
    return F(field.attname).desc() if descending else F(field.attname).asc()


def _unindexed(field: models.Field, descending: bool) -> OrderBy:
    """`field` in the same order, through an expression that no index is built on
    (COALESCE of the field with itself: same type, same order, never NULL here)."""
    same = Func(F(field.attname), F(field.attname), function="COALESCE", output_field=field)
    return same.desc() if descending else same.asc()
