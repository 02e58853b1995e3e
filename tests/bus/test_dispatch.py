"""Dispatch with real Celery workers on Redis: exactly once, retries, dead, replay, poison."""

import threading

import pytest
import redis
from django.core.management import call_command
from django.db import connection, transaction

from integration import dispatch as bus
from integration.events import Subject, publish
from integration.models import Delivery, Event
from tests.bus.conftest import wait_until
from tests.busapp.models import Application, Projection, Switch

pytestmark = pytest.mark.django_db(transaction=True)


def publish_items(count: int, *, key_prefix: str = "k") -> list[Event]:
    events = []
    for i in range(count):
        with transaction.atomic():
            events.append(
                publish(
                    "bustest.item.changed",
                    subject=Subject("busapp.item", f"{key_prefix}{i % 10}", i),
                    data={"value": i},
                )
            )
    return events


def all_done() -> bool:
    return not Delivery.objects.exclude(status=Delivery.Status.DONE).exists()


def assert_applied_exactly_once(events: list[Event], subscriber: str = "busapp.record") -> None:
    seqs = [e.seq for e in events]
    applied = list(
        Application.objects.filter(subscriber=subscriber, event_seq__in=seqs).values_list(
            "event_seq", flat=True
        )
    )
    assert sorted(applied) == sorted(seqs), "every event applied once, none twice"


def test_published_events_are_applied_once_by_a_worker(start_celery):
    start_celery("worker")

    events = publish_items(200)

    wait_until(all_done, timeout=60, what="all deliveries done")
    assert_applied_exactly_once(events)
    assert Projection.objects.get(key="k9").value == 199


def test_a_backlog_keeps_a_few_dispatch_tasks_waiting_and_a_worker_still_applies_it_all(
    start_celery, bus_broker, settings
):
    queue = redis.Redis.from_url(bus_broker)
    queue.delete("tandem.dispatch")

    # 30 publishing transactions while no worker runs: not 30 tasks, a few
    events = publish_items(30)
    assert queue.llen("tandem.dispatch") == settings.TANDEM_EVENT_MAX_WAITING

    # Those few claim 5 each; a full batch queues the next until nothing is due (no beat)
    start_celery("worker", TANDEM_EVENT_BATCH_SIZE="5")
    wait_until(all_done, timeout=60, what="all deliveries done")
    assert_applied_exactly_once(events)


def test_the_same_delivery_dispatched_concurrently_is_applied_once(start_celery):
    # Given deliveries nobody has dispatched yet (the worker starts afterwards)
    events = publish_items(20)
    ids = list(Delivery.objects.values_list("pk", flat=True))
    from integration.tasks import dispatch

    # When the same ids are queued several times and also applied in two threads here
    for _ in range(3):
        dispatch.delay(ids)
    start_celery("worker")

    def apply_here():
        bus.dispatch(ids)
        connection.close()

    threads = [threading.Thread(target=apply_here) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then each event was applied exactly once
    wait_until(all_done, timeout=30, what="all deliveries done")
    assert_applied_exactly_once(events)


def test_events_applied_in_reverse_order_end_in_the_same_projection():
    with transaction.atomic():
        events = [
            publish(
                "bustest.item.changed",
                subject=Subject("busapp.item", "x", version),
                data={"value": version * 10},
            )
            for version in range(1, 6)
        ]
    deliveries = list(Delivery.objects.filter(event__in=events).order_by("-event__seq"))

    for delivery in deliveries:  # newest first
        bus.apply(bus.claim([delivery.pk], limit=1)[0])

    assert Projection.objects.get(key="x").value == 50
    assert Projection.objects.get(key="x").version == 5
    assert_applied_exactly_once(events)


def test_a_failing_handler_retries_with_backoff_then_is_dead_and_replay_applies_it_once(
    start_celery,
):
    Switch.objects.create(name="flaky", on=True)
    start_celery("worker")
    start_celery("beat")

    with transaction.atomic():
        event = publish("bustest.flaky.happened", subject=Subject("busapp.flaky", 1), data={})

    wait_until(
        lambda: Delivery.objects.filter(status=Delivery.Status.DEAD).exists(),
        timeout=60,
        what="the delivery to die",
    )
    delivery = Delivery.objects.get(event=event, subscriber="busapp.flaky")
    assert delivery.attempts == 3
    assert "The flaky switch is on." in delivery.last_error
    assert not Application.objects.exists()

    Switch.objects.filter(name="flaky").update(on=False)
    call_command("replay_events", "--dead", stdout=open("/dev/null", "w"))  # noqa: SIM115

    wait_until(all_done, timeout=30, what="the replayed delivery")
    assert Application.objects.filter(event_seq=event.seq, subscriber="busapp.flaky").count() == 1


def test_a_delivery_that_kills_its_worker_is_dead_after_three_deaths(start_celery):
    start_celery("worker")
    start_celery("beat")

    with transaction.atomic():
        poison = publish("bustest.poison.happened", subject=Subject("busapp.p", 1), data={})
    healthy = publish_items(30)

    wait_until(
        lambda: (
            Delivery.objects.get(event=poison, subscriber="busapp.poison").status
            == Delivery.Status.DEAD
        ),
        timeout=90,
        what="the poison delivery to die",
    )
    dead = Delivery.objects.get(event=poison, subscriber="busapp.poison")
    assert dead.lost == 3
    assert "died" in dead.last_error
    wait_until(
        lambda: not Delivery.objects.filter(status=Delivery.Status.PENDING).exists(),
        timeout=60,
        what="the other deliveries",
    )
    assert_applied_exactly_once(healthy)
