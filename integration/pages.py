"""Shared building blocks of list pages: parameters from GET, keyset pages, CSV, htmx partials.

A list page is a composition: a filter form (search + filters + sort), a selector that
returns a queryset, a row template, and the components in templates/components/. This
module holds what every app's list views share, plus the dashboard-panel registry through
which domain apps put their widgets on the dashboard (integration never imports them).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import wraps
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import autodiscover_modules

from integration.access import area_required
from integration.counting import uncounted_floor
from integration.walking import keyset_q
from integration.widgets import quick

# Counts stop here: a page never pays for a COUNT(*) over millions of rows.
COUNT_LIMIT = 10_000
DEFAULT_PAGE_SIZE = 25


# ------------------------------------------------------------------ permissions


def page_permission(area: str, *perms: str) -> Callable:
    """area_required(area) plus Django model permissions; a user without them gets 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if perms and not request.user.has_perms(perms):
                raise PermissionDenied("You do not have permission to do this.")
            return view(request, *args, **kwargs)

        return area_required(area)(checked)

    return decorator


# ------------------------------------------------------------------ columns and sorting


@dataclass(frozen=True)
class Column:
    """A table column: its header, and the ordering field when it is sortable."""

    label: str
    sort: str = ""  # ordering field (model path); empty: not sortable
    css: str = ""  # extra classes on the header and cells, e.g. "text-end"


@dataclass(frozen=True)
class CsvColumn:
    header: str
    value: Callable[[Any], Any]


class ListFilterForm(forms.Form):
    """Base of every list's filter form: a search box and a sort key; subclasses add filters."""

    q = forms.CharField(required=False, label="Search", max_length=200)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for bound in self.filter_fields():
            widget = bound.field.widget = quick(bound.field.widget)
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", f"{css} {css}-sm")

    def filters(self) -> dict[str, Any]:
        """The chosen filters (empty values left out), ready for a selector."""
        if not self.is_valid():
            return {}
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("q", "sort") and value not in (None, "", [], ())
        }

    def search(self) -> str:
        return (self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in ("q", "sort")]

    @property
    def active_count(self) -> int:
        return len(self.filters())


# ------------------------------------------------------------------ keyset pagination


def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), int):
        return None
    return payload


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | Decimal):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return value


def _resolve(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


@dataclass
class KeysetPage:
    """One page of rows in (sort field, id) order, with cursors to its neighbours.

    Deep pages cost the same as the first: the next page starts after the last row's
    key instead of skipping OFFSET rows. NULLs sort last in both directions.
    """

    rows: list[Any]
    next_cursor: str = ""
    previous_cursor: str = ""
    count: int = 0
    count_capped: bool = False
    # Not counted (integration.counting): the search alone matches more than this.
    uncounted_over: int = 0
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def _never_null(model: Any, path: str) -> bool:
    """Whether the field at `path` ("name", "account__name") can never be NULL."""
    try:
        for part in path.split("__"):
            field = model._meta.get_field(part)
            if field.null:
                return False
            model = field.related_model
    except (FieldDoesNotExist, AttributeError):
        return False
    return True


def _after(
    field_name: str,
    descending: bool,
    value: Any,
    pk: int,
    *,
    forward: bool,
    never_null: bool = False,
) -> Q:
    """Rows strictly after (value, pk) in the order, or strictly before it when not forward.

    For a field that is never NULL the test also says `field >= value` (or <=) on its own:
    PostgreSQL starts its index scan there. An OR alone is only a filter, and a deep page
    would walk the index from the first row.
    """
    growing = descending != forward  # in the walking direction, do keys grow?
    cmp = "gt" if growing else "lt"
    if never_null and value is not None:
        return keyset_q([(field_name, not growing), ("pk", not growing)], (value, pk), after=True)
    # Walking forward, NULLs come last; walking backward, they come first.
    if forward:
        if value is None:
            return Q(**{f"{field_name}__isnull": True, f"pk__{cmp}": pk})
        return (
            Q(**{f"{field_name}__{cmp}": value})
            | Q(**{field_name: value, f"pk__{cmp}": pk})
            | Q(**{f"{field_name}__isnull": True})
        )
    if value is None:
        return Q(**{f"{field_name}__isnull": False}) | Q(
            **{f"{field_name}__isnull": True, f"pk__{cmp}": pk}
        )
    return Q(**{f"{field_name}__{cmp}": value}) | Q(**{field_name: value, f"pk__{cmp}": pk})


def keyset_page(
    queryset: QuerySet,
    *,
    sort: str,
    cursor: str = "",
    page_size: int = DEFAULT_PAGE_SIZE,
    with_count: bool = True,
) -> KeysetPage:
    """A page of `queryset` ordered by `sort` ("name" or "-name"), then by id."""
    descending = sort.startswith("-")
    field_name = sort.lstrip("-")
    position = _decode(cursor) if cursor else None
    forward = not (position and position.get("d") == "p")
    never_null = _never_null(queryset.model, field_name)

    def ordering(reverse: bool) -> list[Any]:
        # Walking backwards reverses the order exactly, NULLs included. A field that is
        # never NULL says nothing about NULLs: "created_at DESC NULLS LAST" is not the
        # order of a (created_at, id) index read backwards, and PostgreSQL would sort.
        desc = descending != reverse
        key = F(field_name)
        nulls = {} if never_null else {"nulls_first": True} if reverse else {"nulls_last": True}
        expr = key.desc(**nulls) if desc else key.asc(**nulls)
        return [expr, "-pk" if desc else "pk"]

    qs = queryset.order_by(*ordering(reverse=not forward))
    if position:
        try:
            qs = qs.filter(
                _after(
                    field_name,
                    descending,
                    position.get("v"),
                    position["id"],
                    forward=forward,
                    never_null=never_null,
                )
            )
        except (ValidationError, ValueError, TypeError):
            # A cursor edited by hand (or from another sort) starts over at the first page.
            position, forward = None, True
            qs = queryset.order_by(*ordering(reverse=False))
    rows = list(qs[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    if not forward:
        rows.reverse()

    page = KeysetPage(rows=rows, page_size=page_size)
    if rows:
        first, last = rows[0], rows[-1]
        has_next = more if forward else True
        has_previous = bool(position) if forward else more
        if has_next:
            page.next_cursor = _encode(
                {"v": _plain(_resolve(last, field_name)), "id": last.pk, "d": "n"}
            )
        if has_previous:
            page.previous_cursor = _encode(
                {"v": _plain(_resolve(first, field_name)), "id": first.pk, "d": "p"}
            )
    floor = uncounted_floor(queryset)
    if with_count and floor is not None:
        # A broad search (integration.counting): counting it would read every match.
        page.uncounted_over = floor - 1
    elif with_count:
        # COUNT over a LIMITed subquery: exact for ordinary lists, capped for huge ones.
        counted = queryset.order_by()[: COUNT_LIMIT + 1].count()
        page.count = min(counted, COUNT_LIMIT)
        page.count_capped = counted > COUNT_LIMIT
    return page


# ------------------------------------------------------------------ the list page


@dataclass
class ListPage:
    """What a list view declares; `render_list` does the rest.

    `queryset(search=..., filters=...)` returns the filtered rows (a selector call);
    `columns` are the table's headers; the keys of `sorts` are what ?sort= may say.
    """

    template: str
    row_template: str
    filter_form: type[ListFilterForm]
    queryset: Callable[..., QuerySet]
    columns: list[Column]
    default_sort: str
    csv_columns: list[CsvColumn] = field(default_factory=list)
    csv_filename: str = "export.csv"
    page_size: int = DEFAULT_PAGE_SIZE
    table_id: str = "list-table"
    empty_title: str = "Nothing found"
    empty_text: str = "Try another search or fewer filters."
    form_kwargs: Callable[[HttpRequest], dict[str, Any]] | None = None
    # The page's rows as the row template reads them (e.g. dicts of display values);
    # None: the model instances themselves.
    present: Callable[[list[Any]], list[Any]] | None = None

    def allowed_sorts(self) -> set[str]:
        return {column.sort for column in self.columns if column.sort}


def url_maker(url_name: str) -> Callable[[int], str]:
    """pk -> reverse(url_name, args=[pk]), reversing once: a list of 50 rows links each row
    without 50 trips through the URL resolver. For patterns whose only argument is the pk."""
    marker = 918_273_645
    head, tail = reverse(url_name, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def new_action(request: HttpRequest, perm: str, url_name: str, label: str) -> list[dict[str, str]]:
    """A list page's "New …" button (testid "new") when the user has `perm`; else none."""
    if not request.user.has_perm(perm):
        return []
    return [{"url": reverse(url_name), "label": label, "testid": "new"}]


def render_list(
    request: HttpRequest, spec: ListPage, *, context: dict[str, Any] | None = None
) -> HttpResponse:
    """Parse search/filters/sort/cursor from GET; render the page, its table, or a CSV."""
    kwargs = spec.form_kwargs(request) if spec.form_kwargs else {}
    form = spec.filter_form(request.GET or None, **kwargs)
    filters, search = (form.filters(), form.search()) if form.is_bound else ({}, "")
    sort = request.GET.get("sort") or spec.default_sort
    if sort.lstrip("-") not in spec.allowed_sorts():
        sort = spec.default_sort
    try:
        queryset = spec.queryset(search=search, filters=filters)
    except ValidationError as error:
        # A filter value the selector refuses: say so on the form, list nothing.
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
        queryset = spec.queryset(search="", filters={}).none()

    if request.GET.get("format") == "csv" and spec.csv_columns:
        return csv_response(queryset.order_by(sort, "pk"), spec.csv_columns, spec.csv_filename)

    page = keyset_page(
        queryset, sort=sort, cursor=request.GET.get("cursor", ""), page_size=spec.page_size
    )
    headers = [
        {
            "column": column,
            "active": sort.lstrip("-") == column.sort if column.sort else False,
            "descending": sort.startswith("-"),
            "next_sort": (
                ("-" + column.sort if sort == column.sort else column.sort) if column.sort else ""
            ),
        }
        for column in spec.columns
    ]
    ctx = {
        "filter_form": form,
        "page": page,
        "rows": spec.present(page.rows) if spec.present else page.rows,
        "headers": headers,
        "sort": sort,
        "search": search,
        "row_template": spec.row_template,
        "table_id": spec.table_id,
        "empty_title": spec.empty_title,
        "empty_text": spec.empty_text,
        "csv_enabled": bool(spec.csv_columns),
        **(context or {}),
    }
    # An htmx request from the filter bar, a header or the pager swaps only the table.
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        response = render(request, "components/data_table.html", ctx)
    else:
        response = render(request, spec.template, ctx)
    # The same URL answers a page or a table: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    rows: Iterable[Any], columns: list[CsvColumn], filename: str
) -> StreamingHttpResponse:
    """Stream rows as CSV, so exporting a long filtered list needs no memory for it."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow([column.header for column in columns])
        iterator = rows.iterator(chunk_size=2000) if isinstance(rows, QuerySet) else rows
        for row in iterator:
            yield writer.writerow([_csv_cell(column.value(row)) for column in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    text = str(value)
    # A cell starting with =, +, - or @ would run as a formula in a spreadsheet.
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


# ------------------------------------------------------------------ dashboard panels


@dataclass(frozen=True)
class DashboardPanel:
    template_name: str
    context: Callable[[HttpRequest], dict[str, Any] | None]
    area: str = ""  # shown only to users who may open this area
    order: int = 100


_PANELS: list[DashboardPanel] = []
_discovered = False


def register_dashboard_panel(
    template_name: str,
    context_fn: Callable[[HttpRequest], dict[str, Any] | None],
    *,
    area: str = "",
    order: int = 100,
) -> None:
    """Add a panel to the dashboard; `context_fn` returns None to hide it for this request."""
    panel = DashboardPanel(template_name, context_fn, area, order)
    if panel not in _PANELS:
        _PANELS.append(panel)


def dashboard_panels() -> list[DashboardPanel]:
    global _discovered
    if not _discovered:
        # Each app's dashboard.py registers its panels, found without naming the app.
        autodiscover_modules("dashboard")
        _discovered = True
    return sorted(_PANELS, key=lambda panel: panel.order)
