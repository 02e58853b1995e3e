"""The 360° customer view: built from crm events in any order, rebuilt from the log, checked."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from crm import services
from crm.events import contact_data
from integration import dispatch
from integration.customer_view import apply_events
from integration.events import publish
from integration.models import CustomerContact, CustomerView, Delivery
from tests.integration.customer_helpers import (
    apply_one_by_one,
    clear_view,
    crm_events,
    crm_story,
    snapshot,
    stage,
)

pytestmark = pytest.mark.django_db


def test_a_customer_is_built_from_its_crm_events():
    story = crm_story()
    events = crm_events()

    apply_one_by_one(events)

    acme = CustomerView.objects.get(pk=story["acme"].pk)
    assert acme.name == "Acme Oy"
    assert acme.status == "active"
    assert acme.industry == "Retail"
    assert acme.tags == ["vip"]
    # Aino, Eero, Mika (moved from Beta) and Dupe (merged in); Gone was deleted
    assert acme.contacts_count == 4
    # Pilot (raised to 1500), Rollout, and Dup deal from the merged account
    assert acme.open_opportunities_count == 3
    assert acme.open_opportunities_value == Decimal("2600.50")
    assert acme.won_value == Decimal("5000.00")
    assert acme.last_interaction_at is not None
    assert acme.last_event_at == max(e.occurred_at for e in events if e.customer_id == acme.pk)
    assert acme.orders_count == 0
    assert acme.outstanding_total == Decimal("0.00")
    beta = CustomerView.objects.get(pk=story["beta"].pk)
    assert (beta.contacts_count, beta.open_opportunities_count, beta.won_value) == (
        0,
        0,
        Decimal("0.00"),
    )
    merged = CustomerView.objects.get(pk=story["dup_id"])
    assert merged.deleted
    assert merged.merged_into_id == acme.pk
    assert not CustomerView.objects.live().filter(pk=story["dup_id"]).exists()


def test_events_applied_twice_or_in_reverse_order_give_the_same_view():
    crm_story()
    events = crm_events()
    apply_one_by_one(events)
    expected = snapshot()

    # Twice: every event again
    apply_one_by_one(events)
    assert snapshot() == expected

    # In reverse order, into an empty view
    clear_view()
    apply_one_by_one(list(reversed(events)))
    assert snapshot() == expected

    # All in one batch, reversed
    clear_view()
    apply_events(list(reversed(events)))
    assert snapshot() == expected


def test_a_late_update_does_not_bring_a_deleted_contact_back():
    account = services.account_create(name="Acme Oy")
    contact = services.contact_create(account=account, first_name="Aino")
    created = crm_events()[-1]
    contact_id = contact.pk
    services.contact_delete(contact=contact)
    deleted = crm_events()[-1]

    apply_events(crm_events()[:1])
    apply_events([deleted])
    apply_events([created])

    row = CustomerContact.objects.get(pk=contact_id)
    assert row.deleted
    assert row.name == ""
    assert CustomerView.objects.get(pk=account.pk).contacts_count == 0


def test_an_older_version_does_not_overwrite_a_newer_one():
    account = services.account_create(name="Old name")
    services.account_update(account=account, name="New name")
    created, updated = crm_events()

    apply_events([updated])
    apply_events([created])

    assert CustomerView.objects.get(pk=account.pk).name == "New name"


def test_rebuild_from_the_log_equals_the_live_view():
    crm_story()
    apply_one_by_one(crm_events())
    live = snapshot()

    out = StringIO()
    call_command("rebuild_customer_view", "--batch-size", "7", stdout=out)

    assert snapshot() == live
    assert "events/s" in out.getvalue()


def test_check_is_clean_when_the_view_matches_the_crm_tables():
    crm_story()
    apply_one_by_one(crm_events())

    out = StringIO()
    call_command("check_customer_view", stdout=out)

    assert "matches" in out.getvalue()


def test_check_lists_a_planted_drift_and_fails():
    story = crm_story()
    apply_one_by_one(crm_events())
    acme = story["acme"].pk
    CustomerView.objects.filter(pk=acme).update(contacts_count=99, won_value=Decimal("1.00"))
    # And an account the view never heard of (created without its event reaching the view)
    ghost = services.account_create(name="Ghost")

    out = StringIO()
    with pytest.raises(CommandError, match="3 drift"):
        call_command("check_customer_view", stdout=out)

    listed = out.getvalue()
    assert f"account {acme}: contacts_count: view=99 crm=4" in listed
    assert f"account {acme}: won_value: view=1.00 crm=5000.00" in listed
    assert f"account {ghost.pk}: exists: view=False crm=True" in listed


def test_money_adds_up_per_currency_and_the_headline_is_in_the_customers_own():
    acme = services.account_create(name="Acme Oy", currency="EUR")
    services.opportunity_create(account=acme, name="Pilot", amount=Decimal("1000.00"))
    services.opportunity_create(
        account=acme, name="Export", amount=Decimal("300.00"), currency="USD"
    )
    won = services.opportunity_create(
        account=acme, name="US deal", amount=Decimal("50.00"), currency="USD"
    )
    services.opportunity_move(opportunity=won, stage=stage("Won"))
    apply_one_by_one(crm_events())

    view = CustomerView.objects.get(pk=acme.pk)
    assert view.open_opportunities_count == 2
    assert view.open_opportunities_value == Decimal("1000.00")  # not 1300: no EUR + USD
    assert view.open_opportunities_by_currency == {"EUR": "1000.00", "USD": "300.00"}
    assert view.won_value == Decimal("0.00")
    assert view.won_by_currency == {"USD": "50.00"}

    # The customer's currency changes: its headline figures follow.
    seen = crm_events()[-1].seq
    services.account_update(account=acme, currency="USD")
    apply_one_by_one([e for e in crm_events() if e.seq > seen])
    view.refresh_from_db()
    assert view.open_opportunities_value == Decimal("300.00")
    assert view.won_value == Decimal("50.00")

    live = snapshot()
    call_command("rebuild_customer_view", "--batch-size", "2", stdout=StringIO())
    assert snapshot() == live
    out = StringIO()
    call_command("check_customer_view", stdout=out)
    assert "matches" in out.getvalue()

    CustomerView.objects.filter(pk=acme.pk).update(open_opportunities_by_currency={"USD": "300.00"})
    with pytest.raises(CommandError, match="1 drift"):
        call_command("check_customer_view", stdout=out)
    assert f"account {acme.pk}: open_opportunities_by_currency: view=" in out.getvalue()


def test_publishing_a_crm_event_makes_a_delivery_for_the_view_that_applies_it():
    account = services.account_create(name="Acme Oy")
    contact = services.contact_create(account=account, first_name="Aino")
    deliveries = Delivery.objects.filter(subscriber="integration.customer_view")
    assert deliveries.count() == 2

    ids = list(deliveries.order_by("pk").values_list("pk", flat=True))
    claimed, _ = dispatch.claim(ids, limit=10)
    dispatch.apply(claimed)

    assert CustomerView.objects.get(pk=account.pk).contacts_count == 1
    assert CustomerContact.objects.get(pk=contact.pk).name == "Aino"


def test_a_contact_event_before_its_account_event_still_counts():
    account = services.account_create(name="Acme Oy")
    contact = services.contact_create(account=account, first_name="Aino")
    with transaction.atomic():
        # A hand-made second version of the contact (the service would bump it too)
        contact.version += 1
        contact.save(update_fields=["version"])
        publish(
            "crm.contact.updated",
            subject=contact,
            data={**contact_data(contact), "title": "CEO"},
            customer_id=account.pk,
        )
    created, contact_created, contact_updated = crm_events()

    apply_events([contact_updated])
    apply_events([contact_created])
    apply_events([created])

    view = CustomerView.objects.get(pk=account.pk)
    assert (view.name, view.contacts_count) == ("Acme Oy", 1)
    assert CustomerContact.objects.get(pk=contact.pk).title == "CEO"


@pytest.mark.parametrize("in_sql", [True, False], ids=["postgresql", "elsewhere"])
def test_the_migration_to_money_per_currency_recomputes_the_figures_already_there(in_sql):
    """integration/migrations/0010 fills the per-currency figures of an existing view and
    puts its headline figures in each customer's currency, without applying events: in
    one statement on PostgreSQL, row by row elsewhere."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("integration.migrations.0010_customer_money_by_currency")
    acme = services.account_create(name="Acme Oy", currency="EUR")
    services.opportunity_create(account=acme, name="Pilot", amount=Decimal("1000.00"))
    services.opportunity_create(
        account=acme, name="Export", amount=Decimal("300.00"), currency="USD"
    )
    apply_one_by_one(crm_events())
    # The view as it was before: every currency added together, no per-currency figures.
    CustomerView.objects.filter(pk=acme.pk).update(
        open_opportunities_value=Decimal("1300.00"), open_opportunities_by_currency={}
    )

    if in_sql:
        with connection.schema_editor() as editor:
            migration.recompute(apps, editor)
    else:
        migration.recompute(apps, None)

    view = CustomerView.objects.get(pk=acme.pk)
    assert view.open_opportunities_value == Decimal("1000.00")
    assert view.open_opportunities_by_currency == {"EUR": "1000.00", "USD": "300.00"}
    out = StringIO()
    call_command("check_customer_view", stdout=out)
    assert "matches" in out.getvalue()
