"""Integration selectors: reads shared by pages, API and commands."""

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from integration.models import ApiToken, Event


def api_token_list() -> QuerySet[ApiToken]:
    """Tokens with their users (callers check `integration.view_apitoken`)."""
    return ApiToken.objects.select_related("user")


# ---------------------------------------------------------------- the event feed


@dataclass(frozen=True)
class FeedPosition:
    """Where a feed reader is: after the event at (txid, seq) in commit order."""

    txid: int
    seq: int


def event_feed(
    *,
    after: FeedPosition | None,
    limit: int,
    types: list[str] | None = None,
    customer_id: int | None = None,
    subject: tuple[str, str] | None = None,
    occurred_after=None,
    occurred_before=None,
) -> list[Event]:
    """Events in commit order after a position, never skipping one that commits later.

    On PostgreSQL an event is only handed out once every transaction that started
    before the oldest one still running has finished (`txid` below the snapshot's xmin):
    an event with a smaller position can then no longer appear behind the reader. The
    cost is that events show up after their transaction — and any older one — commits.
    """
    qs = Event.objects.all()
    if types:
        condition = Q()
        for pattern in types:
            if "*" in pattern:
                condition |= Q(type__regex="^" + re.escape(pattern).replace(r"\*", ".*") + "$")
            else:
                condition |= Q(type=pattern)
        qs = qs.filter(condition)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if subject is not None:
        qs = qs.filter(subject_type=subject[0], subject_id=subject[1])
    if occurred_after is not None:
        qs = qs.filter(occurred_at__gte=occurred_after)
    if occurred_before is not None:
        qs = qs.filter(occurred_at__lt=occurred_before)
    if connection.vendor == "postgresql":
        qs = qs.filter(txid__lt=RawSQL("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", []))
        if after is not None:
            # txid >= a lets PostgreSQL start the index range at the cursor; the OR alone
            # made it walk the log from the beginning (benchmarks/RESULTS.md).
            qs = qs.filter(txid__gte=after.txid).filter(
                Q(txid__gt=after.txid) | Q(txid=after.txid, seq__gt=after.seq)
            )
        qs = qs.order_by("txid", "seq")
    else:  # SQLite (embedded): one writer at a time, so insertion order is commit order
        if after is not None:
            qs = qs.filter(seq__gt=after.seq)
        qs = qs.order_by("seq")
    return list(qs[:limit])
