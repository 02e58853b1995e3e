"""`seed_demo`'s CRM part: the small realistic demo and the `--scale N` benchmark load."""

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from crm import demo as crm_demo
from crm.models import (
    Account,
    Activity,
    Campaign,
    CampaignMember,
    Contact,
    Lead,
    Opportunity,
    Segment,
    Stage,
    Tag,
)
from integration.events import get_event_type
from integration.models import CustomerView, Delivery, Event
from sales.models import Contract, PriceList, Quote, SalesOrder

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_password_in_tmp(settings, tmp_path):
    """integration's demo writes the demo users' password file under VAR_DIR."""
    settings.VAR_DIR = tmp_path


def seed(*args: str, out: io.StringIO | None = None) -> str:
    out = out or io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def wipe_crm() -> None:
    """A fresh database as far as the CRM and the event log are concerned (and the sales
    documents, which refer to CRM accounts)."""
    for model in (SalesOrder, Quote, Contract, PriceList):
        model.objects.all().delete()
    for model in (CampaignMember, Campaign, Segment, Lead, Activity, Opportunity, Contact):
        model.objects.all().delete()
    Account.objects.all().delete()
    Tag.objects.all().delete()
    Delivery.objects.all().delete()
    Event.objects.all().delete()
    CustomerView.objects.all().delete()


def snapshot() -> dict:
    """What the demo made, without ids and timestamps (which differ between runs)."""
    return {
        "accounts": sorted(
            Account.objects.values_list("name", "status", "industry", "billing_country", "website")
        ),
        "tags": sorted(Account.tags.through.objects.values_list("account__name", "tag__name")),
        "contacts": sorted(
            Contact.objects.values_list("account__name", "email", "title", "marketing_consent")
        ),
        "opportunities": sorted(
            Opportunity.objects.values_list("account__name", "name", "amount", "stage__name")
        ),
        "activities": sorted(
            Activity.objects.values_list("account__name", "kind", "subject", "done")
        ),
        "leads": sorted(Lead.objects.values_list("email", "status", "score")),
        "members": sorted(CampaignMember.objects.values_list("contact__email", "status")),
        "events": sorted(
            Counter(
                Event.objects.filter(type__startswith="crm.").values_list("type", flat=True)
            ).items()
        ),
    }


# ---------------------------------------------------------------- the small demo


def test_small_demo_is_realistic_deterministic_and_loads_once():
    # One test, as the small demo takes a while to load (every row through the services).
    output = seed()

    assert "Demo CRM:" in output
    assert 200 <= Account.objects.count() <= 220
    assert 540 <= Contact.objects.count() <= 700
    assert Contact.objects.filter(marketing_consent=True).count() > 100
    assert Lead.objects.count() == 80
    assert set(Lead.objects.values_list("status", flat=True)) == set(Lead.Status.values)
    converted = Lead.objects.filter(status=Lead.Status.CONVERTED)
    assert all(lead.converted_account_id and lead.converted_contact_id for lead in converted)
    stages = set(Opportunity.objects.values_list("stage__name", flat=True))
    assert stages == set(
        Stage.objects.filter(pipeline__is_default=True).values_list("name", flat=True)
    )
    assert Opportunity.objects.count() >= 200
    assert Opportunity.objects.filter(status="lost").exclude(lost_reason="").exists()
    assert set(Activity.objects.values_list("kind", flat=True)) >= {"call", "meeting", "task"}
    # The demo sales user has open tasks due around today, for "my open tasks".
    today = timezone.now()
    open_tasks = Activity.objects.filter(
        owner__username="sales",
        kind="task",
        done=False,
        due_at__range=(today - timedelta(days=4), today + timedelta(days=11)),
    )
    assert open_tasks.count() >= 20
    assert Segment.objects.count() == 2
    assert sorted(Campaign.objects.values_list("status", flat=True)) == ["draft", "sent"]
    assert CampaignMember.objects.filter(campaign__status="sent").count() > 0
    assert not CampaignMember.objects.filter(contact__marketing_consent=False).exists()
    # Owners are the demo users of integration's demo.
    assert set(Account.objects.values_list("owner__username", flat=True)) <= {"sales", "manager"}
    # Everything went through the services: one created event per row.
    counts = Counter(Event.objects.values_list("type", flat=True))
    assert counts["crm.account.created"] == Account.objects.count()
    assert counts["crm.contact.created"] == Contact.objects.count()
    assert counts["crm.lead.created"] == 80
    assert counts["crm.lead.converted"] == converted.count()
    assert counts["crm.opportunity.won"] == Opportunity.objects.filter(status="won").count()
    assert counts["crm.campaign.sent"] == 1
    first = snapshot()

    again = seed()  # on the same database: nothing new

    assert "CRM demo data already present." in again
    assert snapshot() == first

    wipe_crm()  # a fresh database: the same demo again
    seed()

    assert snapshot() == first


# ---------------------------------------------------------------- --scale N


def index_definitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()")
        return {row[0] for row in cursor.fetchall()}


def test_scale_loads_accounts_contacts_and_their_events(
    django_capture_on_commit_callbacks, monkeypatch
):
    # A "big" load: plain indexes dropped during the load and built again after it.
    monkeypatch.setattr(crm_demo, "BIG_LOAD", 100)
    indexes = index_definitions()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        seed("--scale", "300", out=out)
    output = out.getvalue()

    assert "indexes built" in output
    assert index_definitions() == indexes

    assert "Scale CRM: 300 accounts, 900 contacts, 150 opportunities, 300 activities" in output
    assert Account.objects.count() == 300
    assert Contact.objects.count() == 900
    assert Opportunity.objects.count() == 150
    assert Activity.objects.count() == 300
    assert set(Opportunity.objects.values_list("stage__name", flat=True)) == {
        "Qualification", "Proposal", "Negotiation", "Won", "Lost",
    }  # fmt: skip
    assert set(Account.objects.values_list("status", flat=True)) == set(Account.Status.values)
    # Every row has its history in the log, valid against its schema, as one transaction
    # of the system actor, and no bus deliveries (the view is rebuilt in one pass instead).
    events = list(Event.objects.all())
    counts = Counter(e.type for e in events)
    assert counts["crm.account.created"] == 300
    assert counts["crm.contact.created"] == 900
    assert counts["crm.opportunity.created"] == 150
    assert counts["crm.activity.logged"] == 300
    assert counts["crm.opportunity.won"] == Opportunity.objects.filter(status="won").count()
    assert len({e.txid for e in events}) == 1
    assert events[0].txid is not None
    assert {e.actor_type for e in events} == {"system"}
    assert not Delivery.objects.exists()
    for event in events:
        validator = get_event_type(event.type, event.version).validator
        assert list(validator.iter_errors(event.data)) == [], event.type
        assert event.customer_id is not None
    # The newest event of each subject carries the row's version and state.
    newest = {
        (row["subject_type"], row["subject_id"]): row["top"]
        for row in Event.objects.values("subject_type", "subject_id").annotate(
            top=Max("subject_version")
        )
    }
    for opportunity in Opportunity.objects.all():
        assert newest["crm.opportunity", str(opportunity.pk)] == opportunity.version
    for account in Account.objects.all():
        assert newest["crm.account", str(account.pk)] == account.version
    # The 360° view was rebuilt after the commit and agrees with the CRM tables.
    assert "360° view rebuilt" in output
    assert CustomerView.objects.count() == 300
    assert set(CustomerView.objects.values_list("contacts_count", flat=True)) == {3}
    call_command("check_customer_view", stdout=io.StringIO())


def test_scale_is_deterministic_and_resumes_without_duplicates():
    seed("--scale", "120")
    first = snapshot()

    again = seed("--scale", "120")
    assert "120 scale accounts already present" in again
    assert snapshot() == first

    wipe_crm()  # loaded in two steps: the same accounts
    seed("--scale", "50")
    seed("--scale", "120")

    assert Account.objects.count() == 120
    assert snapshot() == first
