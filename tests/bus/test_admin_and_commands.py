"""Admin pages of the event log and deliveries, and the replay_events command."""

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from integration.events import Subject, publish
from integration.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(make_user, settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = []
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def dead_delivery(key: str = "a") -> Delivery:
    with transaction.atomic():
        event = publish(
            "bustest.item.changed",
            subject=Subject("busapp.item", key, 1),
            data={"value": 1},
            customer_id=42,
        )
    delivery = Delivery.objects.get(event=event, subscriber="busapp.record")
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.DEAD, attempts=8, last_error="Traceback ...\nValueError: boom"
    )
    return delivery


def test_admin_lists_events_and_deliveries_with_filters_and_errors(admin_client_):
    delivery = dead_delivery()

    events = admin_client_.get("/admin/integration/event/?type=bustest.item.changed")
    dead = admin_client_.get("/admin/integration/delivery/?status=dead&subscriber=busapp.record")
    detail = admin_client_.get(f"/admin/integration/delivery/{delivery.pk}/change/")
    by_customer = admin_client_.get("/admin/integration/delivery/?q=42")

    assert events.status_code == 200
    assert b"busapp.item:a" in events.content
    assert b"ValueError: boom" in dead.content
    assert b"Traceback" in detail.content
    assert b"busapp.record" in by_customer.content


def test_admin_replay_action_makes_dead_deliveries_pending(admin_client_):
    delivery = dead_delivery()

    admin_client_.post(
        "/admin/integration/delivery/", {"action": "replay", "_selected_action": [delivery.pk]}
    )

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 0


def test_events_cannot_be_edited_or_deleted_in_admin(admin_client_):
    delivery = dead_delivery()
    url = f"/admin/integration/event/{delivery.event_id}/"

    assert admin_client_.get("/admin/integration/event/add/").status_code == 403
    assert admin_client_.post(f"{url}delete/", {"post": "yes"}).status_code == 403


def test_replay_events_by_subscriber_and_since(db):
    first = dead_delivery("a")
    second = dead_delivery("b")
    Delivery.objects.filter(pk=second.pk).update(subscriber="busapp.other")

    call_command("replay_events", "--subscriber", "busapp.record", "--since", "2000-01-01")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Delivery.Status.PENDING
    assert second.status == Delivery.Status.DEAD


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "Say what to replay"), (["--since", "last tuesday"], "not an ISO date")],
)
def test_replay_events_refuses_unclear_requests(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("replay_events", *args)
