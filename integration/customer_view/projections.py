"""The projection engine: applies events to the 360° view, in any order and any number of times.

Live, the bus subscriber `integration.customer_view` calls `apply_events([event])`; the
rebuild replays the whole log through the same appliers in batches. Each applier upserts
entity rows keyed by natural id and guarded by the subject version (a tombstone wins over
everything), and marks the customers it touched; their figures are then recomputed from
the entity tables with COUNT/SUM. The figures are a function of the newest entity rows, so
they do not depend on the order the events came in.

Concurrency: the customers' rows are locked (in id order) before their entity rows change,
so two workers recomputing the same customer take turns and each sees the other's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from integration.customer_view.registry import Batch, aggregates, appliers_for, entity_models
from integration.models import CustomerView, Event

# ---------------------------------------------------------------- applying


def apply_events(
    events: Iterable[Event], *, batch: Batch | None = None, recompute: bool = True
) -> Batch:
    """Apply events (in the order given, normally commit order) in the caller's transaction.

    With `recompute=False` (the rebuild) figures are left for one `recompute_range` pass
    at the end; `batch` then collects what was seen across calls.
    """
    events = list(events)
    batch = batch if batch is not None else Batch()
    with transaction.atomic():
        for event in events:
            batch.saw(event.customer_id, event.occurred_at)
        ensure_customers(batch.last_event)
        by_applier: dict[Callable, list[Event]] = {}
        for event in events:
            for fn in appliers_for(event.type):
                by_applier.setdefault(fn, []).append(event)
        for fn, its_events in by_applier.items():
            fn(its_events, batch)
        if recompute:
            lock_customers(batch.touched | set(batch.last_event))
            recompute_accounts(sorted(batch.touched))
            write_last_event(batch.last_event)
    return batch


def event_version(event: Event) -> int:
    return event.subject_version or 0


def newer(incoming: int, existing: int) -> bool:
    """A version 0 (unknown) always applies: the last writer wins when nobody counts."""
    return incoming > existing or incoming == 0


# ---------------------------------------------------------------- customers


def ensure_customers(account_ids: Iterable[int | None]) -> None:
    """Rows for customers we heard of before their account event: figures need a home."""
    ids = sorted({a for a in account_ids if a is not None})
    if not ids:
        return
    if connection.vendor != "postgresql":
        CustomerView.objects.bulk_create(
            [CustomerView(account_id=a) for a in ids], ignore_conflicts=True, batch_size=500
        )
        return
    # One statement for any number of ids: every other column gets its model default.
    blank = CustomerView(account_id=0)
    meta = CustomerView._meta
    others = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [meta.pk, *others])
    defaults = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in others)
    params = [f.get_db_prep_save(getattr(blank, f.attname), connection) for f in others]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 - names from the model
            f"SELECT id, {defaults} FROM unnest(%s::bigint[]) AS id "
            "ON CONFLICT DO NOTHING",
            [*params, ids],
        )


def lock_customers(account_ids: Iterable[int | None]) -> dict[int, CustomerView]:
    """Lock (in id order, so workers do not deadlock on each other) and return the rows."""
    ids = sorted({a for a in account_ids if a is not None})
    if not ids:
        return {}
    rows = CustomerView.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {row.pk: row for row in rows}


def resolve_accounts(account_ids: Iterable[int | None]) -> dict[int, int]:
    """Each id mapped to the customer it now belongs to (following merges)."""
    result = {a: a for a in account_ids if a is not None}
    pending = set(result.values())
    for _ in range(10):  # a merge chain longer than this is not a real one
        merged = dict(
            CustomerView.objects.filter(pk__in=pending, merged_into_id__isnull=False).values_list(
                "pk", "merged_into_id"
            )
        )
        if not merged:
            break
        for original, current in result.items():
            if current in merged:
                result[original] = merged[current]
        pending = set(merged.values())
    return result


def repoint_entities(*, from_account: int, to_account: int) -> None:
    """After a merge every projection row of the duplicate belongs to the survivor."""
    for model in entity_models():
        model.objects.filter(account_id=from_account).update(account_id=to_account)


# ---------------------------------------------------------------- entity upserts


@dataclass
class Incoming:
    """The newest state of one entity seen in a batch."""

    version: int
    deleted: bool
    account_id: int | None
    fields: dict[str, Any]
    extra: dict[str, Any] | None = None  # applied whatever the version (e.g. logged_at)


def reduce_newest(items: Iterable[tuple[Any, Incoming]]) -> dict[Any, Incoming]:
    """Per key, the tombstone if any, else the highest version (the last of equals).

    `extra` is the chosen item's own; an applier that merges extras across items does so.
    """
    newest: dict[Any, Incoming] = {}
    for key, item in items:
        current = newest.get(key)
        if (
            current is None
            or (item.deleted and not current.deleted)
            or (not current.deleted and newer(item.version, current.version))
        ):
            newest[key] = item
    return newest


def upsert_entities(
    model: type[models.Model],
    incoming: dict[Any, Incoming],
    batch: Batch,
    *,
    merge_extra: Callable[[models.Model, dict[str, Any]], bool] | None = None,
    extra_fields: tuple[str, ...] = (),
) -> None:
    """Apply the newest state per key to `model` (pk = natural id), guarded by version.

    A deleted row stays deleted (tombstone). Accounts are resolved through merges, then
    old and new accounts of each row are locked and marked for recomputation.
    """
    if not incoming:
        return
    accounts = resolve_accounts(i.account_id for i in incoming.values())
    for item in incoming.values():
        if item.account_id is not None:
            item.account_id = accounts[item.account_id]
    new_accounts = {i.account_id for i in incoming.values() if i.account_id is not None}
    ensure_customers(new_accounts)
    existing = {
        row.pk: row for row in model.objects.select_for_update().filter(pk__in=list(incoming))
    }
    old_accounts = {row.account_id for row in existing.values()}
    lock_customers(new_accounts | old_accounts)
    pk_name = model._meta.pk.attname
    # A tombstone keeps only its key, account and version (and the `extra` fields): the
    # same whether the deletion came before or after the entity's other events.
    blank = {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if f.attname not in {pk_name, "account_id", "version", "deleted", *extra_fields}
    }
    to_create: list[models.Model] = []
    to_update: list[models.Model] = []
    update_fields: set[str] = set()
    for key, item in incoming.items():
        row = existing.get(key)
        if row is None:
            values = {} if item.deleted else dict(item.fields)
            values.update(item.extra or {})
            to_create.append(
                model(
                    **{pk_name: key},
                    account_id=item.account_id,
                    version=item.version,
                    deleted=item.deleted,
                    **values,
                )
            )
            batch.touch(item.account_id)
            continue
        old_account = row.account_id
        changed = False
        if item.extra and merge_extra is not None and merge_extra(row, item.extra):
            update_fields.update(item.extra)
            changed = True
        if row.deleted:
            pass
        elif item.deleted:
            for name, value in blank.items():
                setattr(row, name, value)
            row.deleted = True
            row.version = max(row.version, item.version)
            if item.account_id is not None:
                row.account_id = item.account_id
            update_fields.update({*blank, "deleted", "version", "account_id"})
            changed = True
        elif newer(item.version, row.version):
            for name, value in item.fields.items():
                setattr(row, name, value)
            row.account_id = item.account_id
            row.version = item.version
            update_fields.update({*item.fields, "account_id", "version"})
            changed = True
        if changed:
            to_update.append(row)
            # A row moved away from an account changes that account's figures too.
            batch.touch(old_account, row.account_id)
    if to_create:
        model.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        fields = sorted(update_fields)
        update_rows(
            {row.pk: {f: getattr(row, f) for f in fields} for row in to_update},
            fields,
            model=model,
        )


# ---------------------------------------------------------------- figures


def recompute_accounts(account_ids: list[int]) -> None:
    """Recompute every registered figure of these customers from the projection rows.

    Tombstones keep their default figures, so they look the same whatever the order.
    """
    live = list(
        CustomerView.objects.filter(pk__in=account_ids, deleted=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if live:
        _recompute({"account_id__in": live}, live)


def customer_currencies(account_filter: dict[str, Any]) -> dict[int, str]:
    """Each customer's currency, for an aggregate's `account_filter`: the money figures are
    in it (integration.customer_view.money)."""
    rows = CustomerView.objects.filter(**account_filter).values_list("account_id", "currency")
    return dict(rows)


def figure_defaults() -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for aggregate in aggregates():
        defaults.update(aggregate.defaults)
    return defaults


def recompute_range(lo: int, hi: int) -> int:
    """Recompute the figures of every customer with lo <= account_id < hi; returns how many."""
    ids = list(
        CustomerView.objects.filter(pk__gte=lo, pk__lt=hi, deleted=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if ids:
        _recompute({"account_id__gte": lo, "account_id__lt": hi}, ids)
    return len(ids)


def _recompute(account_filter: dict[str, Any], account_ids: list[int]) -> None:
    figures: dict[int, dict[str, Any]] = {a: {} for a in account_ids}
    fields: list[str] = []
    for aggregate in aggregates():
        fields.extend(aggregate.defaults)
        computed = aggregate.compute(account_filter)
        for account_id, values in figures.items():
            values.update(aggregate.defaults)
            values.update(computed.get(account_id, {}))
    if fields:
        now = timezone.now()
        for values in figures.values():
            values["updated_at"] = now
        update_rows(figures, [*fields, "updated_at"])


def write_last_event(last_event: dict[int, datetime]) -> None:
    """`last_event_at` only moves forward, so events applied late cannot make it older."""
    if len(last_event) > 1 and connection.vendor == "postgresql":
        rows = {a: {"last_event_at": t} for a, t in last_event.items()}
        update_rows(rows, ["last_event_at"], greatest={"last_event_at"})
        return
    for account_id, occurred_at in sorted(last_event.items()):
        CustomerView.objects.filter(pk=account_id).filter(
            models.Q(last_event_at__isnull=True) | models.Q(last_event_at__lt=occurred_at)
        ).update(last_event_at=occurred_at)


def update_rows(
    rows: dict[Any, dict[str, Any]],
    fields: list[str],
    *,
    model: type[models.Model] = CustomerView,
    greatest: set[str] = frozenset(),
) -> None:
    """Set `fields` of many rows by primary key at once: one UPDATE … FROM (VALUES …) per
    thousand rows on PostgreSQL (Django's bulk_update builds CASE expressions, far slower).

    Fields in `greatest` keep the newer of the stored and the given value (PostgreSQL only).
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        pk_name = model._meta.pk.attname
        objs = [model(**{pk_name: pk}, **{f: v[f] for f in fields}) for pk, v in rows.items()]
        model.objects.bulk_update(objs, fields, batch_size=200)
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk = meta.pk
    columns = [meta.get_field(f) for f in fields]
    casts = ", ".join(f"CAST(%s AS {c.db_type(connection)})" for c in [pk, *columns])
    names = ", ".join(quote(c.column) for c in [pk, *columns])
    sets = ", ".join(
        f"{quote(c.column)} = "
        + (
            f"GREATEST(t.{quote(c.column)}, v.{quote(c.column)})"
            if c.name in greatest
            else f"v.{quote(c.column)}"
        )
        for c in columns
    )
    where = f"t.{quote(pk.column)} = v.{quote(pk.column)}"
    items = list(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), 1000):
            chunk = items[start : start + 1000]
            values = ", ".join(f"({casts})" for _ in chunk)
            params: list[Any] = []
            for key, v in chunk:
                params.append(key)
                params.extend(
                    c.get_db_prep_save(v[f], connection)
                    for f, c in zip(fields, columns, strict=True)
                )
            # Table and column names come from the model; values are parameters.
            sql = (
                f"UPDATE {table} AS t SET {sets} FROM (VALUES {values}) "  # noqa: S608
                f"AS v({names}) WHERE {where}"
            )
            cursor.execute(sql, params)
