"""Rebuilding the 360° view from the event log, and checking it against the domain tables."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Q

from integration.customer_view.projections import apply_events, recompute_range, write_last_event
from integration.customer_view.registry import Batch, entity_models, fact_sources, handles
from integration.models import CustomerView, Event

EVENT_FIELDS = ("seq", "txid", "type", "customer_id", "occurred_at", "subject_version", "data")


@dataclass(slots=True)
class LoggedEvent:
    """The fields of a logged Event the appliers read; far cheaper to load than the model."""

    seq: int
    txid: int | None
    type: str
    customer_id: int | None
    occurred_at: datetime
    subject_version: int | None
    data: dict


@dataclass
class RebuildResult:
    events: int
    customers: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def truncate_projection() -> None:
    models = [CustomerView, *entity_models()]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {tables}")
        else:
            for model in models:
                model.objects.all().delete()


def _load(events, limit: int) -> list[LoggedEvent]:
    return [LoggedEvent(*row) for row in events.values_list(*EVENT_FIELDS)[:limit]]


def events_in_commit_order(batch_size: int) -> Iterator[list[LoggedEvent]]:
    """The log in commit order, (txid, seq), in keyset pages; only types the view handles."""
    distinct = Event.objects.order_by().values_list("type", flat=True).distinct()
    types = [t for t in distinct if handles(t)]
    if not types:
        return
    base = Event.objects.filter(type__in=types)
    # Events without a txid (SQLite; none on PostgreSQL) come in insertion order.
    last_seq = 0
    while True:
        page = _load(base.filter(txid__isnull=True, seq__gt=last_seq).order_by("seq"), batch_size)
        if not page:
            break
        yield page
        last_seq = page[-1].seq
    txid, seq = -1, 0
    while True:
        page = _load(
            base.filter(txid__gte=txid)
            .filter(Q(txid__gt=txid) | Q(txid=txid, seq__gt=seq))
            .order_by("txid", "seq"),
            batch_size,
        )
        if not page:
            break
        yield page
        txid, seq = page[-1].txid, page[-1].seq


def account_ranges(step: int, *, top: int | None = None) -> Iterator[range]:
    """Consecutive id ranges covering every customer of the view (and up to `top`)."""
    highest = CustomerView.objects.aggregate(hi=Max("pk"))["hi"]
    hi = max(x for x in (highest, top, -1) if x is not None)
    for start in range(0, hi + 1, step):
        yield range(start, start + step)


def rebuild(
    *, batch_size: int = 5000, progress: Callable[[int, float], None] | None = None
) -> RebuildResult:
    """Empty the view and apply every event of the log again, then recompute every figure."""
    started = time.monotonic()
    truncate_projection()
    count = 0
    for events in events_in_commit_order(batch_size):
        with transaction.atomic():
            batch = apply_events(events, batch=Batch(), recompute=False)
            write_last_event(batch.last_event)
        count += len(events)
        if progress is not None:
            progress(count, time.monotonic() - started)
    customers = 0
    for ids in account_ranges(batch_size):
        with transaction.atomic():
            customers += recompute_range(ids.start, ids.stop)
    return RebuildResult(count, customers, time.monotonic() - started)


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class Drift:
    account_id: int
    figure: str
    view_value: Any
    source_value: Any
    source: str


def _same(view_value: Any, source_value: Any) -> bool:
    if isinstance(view_value, Decimal) or isinstance(source_value, Decimal):
        try:
            return Decimal(view_value) == Decimal(source_value)
        except (TypeError, ArithmeticError):
            return False
    return view_value == source_value


def check(*, step: int = 5000) -> Iterator[Drift]:
    """Every difference between the view and the fact sources, account by account."""
    sources = fact_sources()
    tops = [s.max_account_id() for s in sources.values() if s.max_account_id is not None]
    top = max((t for t in tops if t is not None), default=None)
    for ids in account_ranges(step, top=top):
        view = {
            row["account_id"]: row
            for row in CustomerView.objects.live()
            .filter(pk__gte=ids.start, pk__lt=ids.stop)
            .values()
        }
        for name, source in sources.items():
            facts = source.compute(ids)
            if source.max_account_id is not None:
                for pk in sorted(view.keys() - facts.keys()):
                    yield Drift(pk, "exists", True, False, name)
                for pk in sorted(facts.keys() - view.keys()):
                    yield Drift(pk, "exists", False, True, name)
            for pk in sorted(facts.keys() & view.keys()):
                for figure, value in facts[pk].items():
                    if not _same(view[pk].get(figure), value):
                        yield Drift(pk, figure, view[pk].get(figure), value, name)
