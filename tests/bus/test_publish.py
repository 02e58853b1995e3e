"""Publishing: validated, transactional, recording subject, actor and commit position."""

import pytest
from django.db import transaction

from integration.events import EventError, Subject, acting_as, publish, subscribers
from integration.models import Delivery, Event
from integration.services import api_token_create

pytestmark = pytest.mark.django_db


def item(key="a", version=1):
    return Subject("busapp.item", key, version)


def test_publish_writes_the_event_and_one_delivery_per_matching_subscriber():
    with transaction.atomic():
        event = publish("bustest.item.changed", subject=item(), data={"value": 3}, customer_id=7)

    stored = Event.objects.get(pk=event.pk)
    assert stored.type == "bustest.item.changed"
    assert stored.version == 1
    assert (stored.subject_type, stored.subject_id, stored.subject_version) == (
        "busapp.item",
        "a",
        1,
    )
    assert stored.customer_id == 7
    assert stored.data == {"value": 3}
    assert stored.txid is not None
    matching = sorted(
        s.name
        for s in subscribers()
        if s.matches("bustest.item.changed")
        and (s.accepts is None or s.accepts("bustest.item.changed"))
    )
    assert "busapp.record" in matching
    assert "integration.webhooks" not in matching  # no webhook subscription wants it
    deliveries = Delivery.objects.filter(event=event).order_by("subscriber")
    assert list(deliveries.values_list("subscriber", "status")) == [
        (name, "pending") for name in matching
    ]


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(EventError, match=r"inside transaction\.atomic"):
        publish("bustest.item.changed", subject=item(), data={"value": 1})
    assert not Event.objects.exists()


def test_unknown_type_and_invalid_data_are_refused_with_clear_messages():
    with transaction.atomic():
        with pytest.raises(EventError, match=r"Unknown event type 'bustest\.item\.vanished'"):
            publish("bustest.item.vanished", subject=item(), data={})
        with pytest.raises(EventError, match="value: 'three' is not of type 'integer'"):
            publish("bustest.item.changed", subject=item(), data={"value": "three"})
        with pytest.raises(EventError, match="'value' is a required property"):
            publish("bustest.item.changed", subject=item(), data={})
    assert not Event.objects.exists()


def test_a_rolled_back_transaction_leaves_no_event():
    def change_that_fails():
        with transaction.atomic():
            publish("bustest.item.changed", subject=item(), data={"value": 1})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert not Event.objects.exists()
    assert not Delivery.objects.exists()


def test_actor_is_recorded_for_users_tokens_and_system(make_user):
    user = make_user(username="ada")
    token, _ = api_token_create(user=user, name="erp", scopes=["*"])

    with transaction.atomic():
        by_user = publish("bustest.item.changed", subject=item(), data={"value": 1}, actor=user)
        with acting_as(token):
            by_token = publish("bustest.item.changed", subject=item(), data={"value": 2})
        by_system = publish("bustest.item.changed", subject=item(), data={"value": 3})

    assert (by_user.actor_type, by_user.actor_id, by_user.actor_label) == (
        "user",
        str(user.pk),
        "ada",
    )
    assert by_token.actor_type == "token"
    assert by_token.actor_label == f"ada via token {token.prefix}"
    assert by_system.actor_type == "system"
