"""How CRM events (crm.*) build the 360° view: profile, contacts, opportunities, activities.

Reads only the events' data (event-carried state, see crm/events.py); never imports crm.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from integration.customer_view.money import by_account, by_currency, in_currency
from integration.customer_view.projections import (
    Incoming,
    customer_currencies,
    ensure_customers,
    event_version,
    figure_defaults,
    lock_customers,
    newer,
    reduce_newest,
    repoint_entities,
    resolve_accounts,
    update_rows,
    upsert_entities,
)
from integration.customer_view.registry import (
    Batch,
    applier,
    register_aggregate,
    register_entity_model,
    watch,
)
from integration.models import (
    CustomerActivity,
    CustomerContact,
    CustomerOpportunity,
    Event,
)

for _model in (CustomerContact, CustomerOpportunity, CustomerActivity):
    register_entity_model(_model)

# Leads and campaigns change no figure, but an event about a customer makes it fresher.
watch("crm.*")

PROFILE_FIELDS = (
    "name",
    "kind",
    "status",
    "owner_id",
    "owner_name",
    "industry",
    "tags",
    "currency",
)


def _datetime(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


# ---------------------------------------------------------------- accounts


@applier("crm.account.created", "crm.account.updated")
def apply_account_profiles(events: list[Event], batch: Batch) -> None:
    newest: dict[int, tuple[int, dict[str, Any]]] = {}
    for event in events:
        account_id, version = event.data["id"], event_version(event)
        current = newest.get(account_id)
        if current is None or newer(version, current[0]):
            newest[account_id] = (version, event.data)
    ensure_customers(newest)
    rows = lock_customers(newest)
    changed = []
    now = timezone.now()
    for account_id, (version, data) in newest.items():
        row = rows[account_id]
        # A tombstone takes the profile too (it stays a tombstone): the same result
        # whether the deletion was applied before or after this event.
        if not newer(version, row.profile_version):
            continue
        if data["currency"] != row.currency:
            batch.touch(account_id)  # the figures in its currency change with it
        for name in PROFILE_FIELDS:
            setattr(row, name, data[name])
        row.profile_version = version
        row.updated_at = now
        changed.append(row)
    fields = [*PROFILE_FIELDS, "profile_version", "updated_at"]
    update_rows({row.pk: {f: getattr(row, f) for f in fields} for row in changed}, fields)


@applier("crm.account.deleted", "crm.account.merged")
def apply_account_removals(events: list[Event], batch: Batch) -> None:
    """The deleted or merged-away account becomes a tombstone; a merge moves its rows."""
    for event in events:
        if event.type == "crm.account.merged":
            gone = event.data["merged_id"]
            into = resolve_accounts([event.data["id"]])[event.data["id"]]
        else:
            gone, into = event.data["id"], None
        ensure_customers([gone, into])
        row = lock_customers([gone, into])[gone]
        if not row.deleted or row.merged_into_id != into:
            row.deleted = True
            row.merged_into_id = into
            row.updated_at = timezone.now()
            for name, value in figure_defaults().items():
                setattr(row, name, value)
            row.save(update_fields=["deleted", "merged_into_id", "updated_at", *figure_defaults()])
        if into is not None:
            repoint_entities(from_account=gone, to_account=into)
            batch.touch(into)


# ---------------------------------------------------------------- contacts


@applier("crm.contact.*")
def apply_contacts(events: list[Event], batch: Batch) -> None:
    items = []
    for event in events:
        data = event.data
        if event.type == "crm.contact.deleted":
            item = Incoming(event_version(event), True, data.get("account_id"), {})
        else:
            name = f"{data['first_name']} {data['last_name']}".strip()
            fields = {
                "name": name,
                "email": data["email"],
                "phone": data["phone"],
                "title": data["title"],
            }
            item = Incoming(event_version(event), False, data["account_id"], fields)
        items.append((data["id"], item))
    upsert_entities(CustomerContact, reduce_newest(items), batch)


# ---------------------------------------------------------------- opportunities


@applier("crm.opportunity.*")
def apply_opportunities(events: list[Event], batch: Batch) -> None:
    items = []
    for event in events:
        data = event.data
        if event.type == "crm.opportunity.deleted":
            item = Incoming(event_version(event), True, data.get("account_id"), {})
        else:
            fields = {
                "name": data["name"],
                "amount": Decimal(data["amount"]),
                "currency": data["currency"],
                "stage": data["stage"],
                "probability": data["probability"],
                "status": data["status"],
                "expected_close_date": parse_date(data["expected_close_date"])
                if data.get("expected_close_date")
                else None,
            }
            item = Incoming(event_version(event), False, data["account_id"], fields)
        items.append((data["id"], item))
    upsert_entities(CustomerOpportunity, reduce_newest(items), batch)


# ---------------------------------------------------------------- activities


@applier("crm.activity.*")
def apply_activities(events: list[Event], batch: Batch) -> None:
    items = []
    for event in events:
        data = event.data
        # When it was logged is known only from its `logged` event, whatever its version.
        extra = {"logged_at": event.occurred_at} if event.type == "crm.activity.logged" else None
        if event.type == "crm.activity.deleted":
            item = Incoming(event_version(event), True, data.get("account_id"), {}, extra)
        else:
            fields = {
                "kind": data["kind"],
                "subject": data["subject"],
                "due_at": _datetime(data.get("due_at")),
                "done": data["done"],
                "done_at": _datetime(data.get("done_at")),
            }
            item = Incoming(event_version(event), False, data.get("account_id"), fields, extra)
        items.append((data["id"], item))
    newest = reduce_newest(items)
    # Each key keeps the earliest logged_at of the batch, not only the newest item's.
    for key, item in items:
        chosen = newest[key]
        if item.extra and (
            chosen.extra is None or item.extra["logged_at"] < chosen.extra["logged_at"]
        ):
            chosen.extra = item.extra
    upsert_entities(
        CustomerActivity,
        newest,
        batch,
        merge_extra=_earlier_logged_at,
        extra_fields=("logged_at",),
    )


def _earlier_logged_at(row: CustomerActivity, extra: dict[str, Any]) -> bool:
    if row.logged_at is None or extra["logged_at"] < row.logged_at:
        row.logged_at = extra["logged_at"]
        return True
    return False


# ---------------------------------------------------------------- figures


def _contacts(account_filter: dict[str, Any]) -> dict[int, dict[str, Any]]:
    rows = (
        CustomerContact.objects.filter(deleted=False, **account_filter)
        .values("account_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["account_id"]: {"contacts_count": r["n"]} for r in rows}


def _opportunities(account_filter: dict[str, Any]) -> dict[int, dict[str, Any]]:
    rows = (
        CustomerOpportunity.objects.filter(deleted=False, **account_filter)
        .values("account_id", "currency")
        .annotate(
            open_n=Count("pk", filter=Q(status="open")),
            open_v=Sum("amount", filter=Q(status="open")),
            won=Sum("amount", filter=Q(status="won")),
        )
        .order_by()
    )
    currencies = customer_currencies(account_filter)
    figures = {}
    for account_id, groups in by_account(rows).items():
        open_value = by_currency((r["currency"], r["open_v"]) for r in groups)
        won = by_currency((r["currency"], r["won"]) for r in groups)
        currency = currencies.get(account_id, "")
        figures[account_id] = {
            "open_opportunities_count": sum(r["open_n"] for r in groups),
            "open_opportunities_value": in_currency(open_value, currency),
            "open_opportunities_by_currency": open_value,
            "won_value": in_currency(won, currency),
            "won_by_currency": won,
        }
    return figures


def _activities(account_filter: dict[str, Any]) -> dict[int, dict[str, Any]]:
    # Greatest of two NULL-free values: SQLite's MAX() would be NULL if either were NULL.
    newest = Greatest(Coalesce("done_at", "logged_at"), Coalesce("logged_at", "done_at"))
    rows = (
        CustomerActivity.objects.filter(deleted=False, **account_filter)
        .values("account_id")
        .annotate(last=Max(newest))
        .order_by()
    )
    return {r["account_id"]: {"last_interaction_at": r["last"]} for r in rows}


register_aggregate("crm.contacts", defaults={"contacts_count": 0}, compute=_contacts)
register_aggregate(
    "crm.opportunities",
    defaults={
        "open_opportunities_count": 0,
        "open_opportunities_value": Decimal("0.00"),
        "open_opportunities_by_currency": {},
        "won_value": Decimal("0.00"),
        "won_by_currency": {},
    },
    compute=_opportunities,
)
register_aggregate("crm.activities", defaults={"last_interaction_at": None}, compute=_activities)
