"""Shared set-up of the 360° view tests: a small CRM story told through crm's services."""

from __future__ import annotations

from decimal import Decimal

from crm import services
from crm.models import Stage
from integration.customer_view import apply_events
from integration.models import (
    CustomerActivity,
    CustomerContact,
    CustomerOpportunity,
    CustomerView,
    Event,
)


def stage(name: str) -> Stage:
    return Stage.objects.get(pipeline__is_default=True, name=name)


def crm_story(user=None) -> dict:
    """Two customers with contacts, opportunities in every state, activities, a move,
    deletions and a merge: every crm event the view cares about."""
    acme = services.account_create(name="Acme Oy", user=user, industry="Retail", tags=["vip"])
    beta = services.account_create(name="Beta Ab", user=user)
    dup = services.account_create(name="Acme Duplicate", user=user)
    aino = services.contact_create(
        account=acme, first_name="Aino", last_name="Virtanen", email="aino@acme.example"
    )
    services.contact_create(account=acme, first_name="Eero", email="eero@acme.example")
    gone = services.contact_create(account=acme, first_name="Gone")
    services.contact_delete(contact=gone)
    moved = services.contact_create(account=beta, first_name="Mika", email="mika@beta.example")
    services.contact_update(contact=moved, account=acme)
    services.contact_create(account=dup, first_name="Dupe", email="dupe@acme.example")
    pilot = services.opportunity_create(account=acme, name="Pilot", amount=Decimal("1200.00"))
    services.opportunity_create(account=acme, name="Rollout", amount=Decimal("800.50"))
    big = services.opportunity_create(account=acme, name="Big deal", amount=Decimal("5000.00"))
    services.opportunity_move(opportunity=big, stage=stage("Won"))
    lost = services.opportunity_create(account=beta, name="Lost one", amount=Decimal("10.00"))
    services.opportunity_move(opportunity=lost, stage=stage("Lost"), lost_reason="price")
    dropped = services.opportunity_create(account=beta, name="Dropped", amount=Decimal("99.00"))
    services.opportunity_delete(opportunity=dropped)
    services.opportunity_create(account=dup, name="Dup deal", amount=Decimal("300.00"))
    call = services.activity_log(subject="Kick-off call", kind="call", account=acme, contact=aino)
    services.activity_complete(activity=call)
    services.activity_log(subject="Send proposal", kind="task", account=acme)
    services.account_update(account=acme, status="active")
    services.opportunity_update(opportunity=pilot, amount=Decimal("1500.00"))
    services.account_merge(into=acme, duplicate=dup)
    acme.refresh_from_db()
    beta.refresh_from_db()
    return {"acme": acme, "beta": beta, "dup_id": dup.pk}


def crm_events() -> list[Event]:
    return list(Event.objects.filter(type__startswith="crm.").order_by("txid", "seq"))


def apply_one_by_one(events: list[Event]) -> None:
    for event in events:
        apply_events([event])


def snapshot() -> dict:
    """Everything the projection holds, minus bookkeeping times."""
    return {
        "customers": list(
            CustomerView.objects.order_by("pk").values(
                *[f.name for f in CustomerView._meta.fields if f.name not in {"updated_at"}]
            )
        ),
        "contacts": list(CustomerContact.objects.order_by("pk").values()),
        "opportunities": list(CustomerOpportunity.objects.order_by("pk").values()),
        "activities": list(CustomerActivity.objects.order_by("pk").values()),
    }


def clear_view() -> None:
    for model in (CustomerView, CustomerContact, CustomerOpportunity, CustomerActivity):
        model.objects.all().delete()
