"""Outbound webhooks with a real Celery worker and beat, POSTing to a receiver on loopback."""

import hashlib
import hmac
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from integration import webhooks
from integration.events import Subject, publish
from integration.handlers import on_any_event_for_webhooks
from integration.models import Delivery, Event, WebhookDelivery, WebhookSubscription
from integration.webhooks import webhook_subscription_create, webhook_subscription_enable
from tests.bus.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

# Fast retries, a quick sweeper, and a subscription disabled after 3 failures in a row.
FAST = {
    "TANDEM_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "TANDEM_WEBHOOK_RETRY_MAX_SECONDS": "0.5",
    "TANDEM_WEBHOOK_SWEEP_SECONDS": "0.3",
    "TANDEM_WEBHOOK_DISABLE_AFTER": "3",
    "TANDEM_WEBHOOK_DISABLE_AFTER_SECONDS": "0",
    "TANDEM_WEBHOOK_TIMEOUT_SECONDS": "2",
}

# ---- copied from docs/events.md, "Webhooks (for integrators)" ----
SECRET = b"the secret you were given when subscribing"


def verify(headers: dict, body: bytes, tolerance: int = 300) -> bool:
    timestamp = headers["X-Tandem-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", headers["X-Tandem-Signature"])


# ---- end of the copy ----


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    status: int


class Receiver:
    """An HTTP server on loopback that records every POST and answers the statuses it is told.

    `answers` is consumed one per request; when empty, `default` is answered. `delay` makes
    it wait before answering. Created on a reserved port but not listening until `start()`.
    """

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.requests: list[Received] = []
        self.answers: deque[int] = deque()
        self.default = 200
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    status = receiver.answers.popleft() if receiver.answers else receiver.default
                    receiver.requests.append(Received(self.path, dict(self.headers), body, status))
                time.sleep(receiver.delay)
                payload = b"thanks" if status < 300 else b"not now"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def acknowledged(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def subscribe(url: str, event_types=("bustest.item.*",)) -> WebhookSubscription:
    subscription, _ = webhook_subscription_create(
        url=url, event_types=list(event_types), secret=SECRET.decode()
    )
    return subscription


def publish_item(key: str = "w1", version: int = 1, value: int = 7) -> Event:
    with transaction.atomic():
        return publish(
            "bustest.item.changed",
            subject=Subject("busapp.item", key, version),
            data={"value": value},
        )


def delivery_of(subscription: WebhookSubscription, event: Event) -> WebhookDelivery | None:
    return WebhookDelivery.objects.filter(subscription=subscription, event=event).first()


def delivered(subscription: WebhookSubscription, event: Event) -> bool:
    delivery = delivery_of(subscription, event)
    return delivery is not None and delivery.status == WebhookDelivery.Status.DELIVERED


def test_a_matching_event_is_posted_signed_and_equal_to_the_feed_item(
    start_celery, receiver, make_user
):
    receiver.start()
    start_celery("worker", **FAST)
    subscription = subscribe(receiver.url("/hook"))
    other = subscribe(receiver.url("/other"), event_types=["bustest.flaky.*"])

    event = publish_item()

    wait_until(lambda: delivered(subscription, event), timeout=30, what="the delivery")
    [request] = receiver.requests
    assert request.path == "/hook"
    assert verify(request.headers, request.body)
    assert not verify(request.headers, request.body.replace(b"7", b"8"))
    assert request.headers["X-Tandem-Event-Id"] == str(event.uuid)
    assert request.headers["X-Tandem-Event-Type"] == "bustest.item.changed"
    assert request.headers["Content-Type"] == "application/json"
    assert abs(int(request.headers["X-Tandem-Timestamp"]) - time.time()) < 60

    # The body is exactly the event as the feed serves it.
    client = APIClient()
    client.force_authenticate(make_user(is_superuser=True, is_staff=True))

    def feed_items() -> list[dict]:
        query = {"subject": "busapp.item:w1"}
        return client.get("/api/v1/integration/events/", query).json()["results"]

    wait_until(feed_items, timeout=10, what="the event in the feed")
    assert json.loads(request.body) == feed_items()[0]

    [attempt] = delivery_of(subscription, event).log.all()
    assert (attempt.number, attempt.ok, attempt.status_code) == (1, True, 200)
    assert attempt.response_snippet == "thanks"
    assert attempt.latency_ms >= 0
    assert not WebhookDelivery.objects.filter(subscription=other).exists()
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None
    assert subscription.consecutive_failures == 0


def test_a_receiver_down_then_up_gets_the_event_after_retries(start_celery, receiver):
    # Given a receiver that is not listening yet
    patient = {**FAST, "TANDEM_WEBHOOK_DISABLE_AFTER": "100"}
    start_celery("worker", **patient)
    start_celery("beat", **patient)
    subscription = subscribe(receiver.url())

    event = publish_item()

    # When two attempts have been refused, it comes up, answering 503 once and then 200
    wait_until(
        lambda: (d := delivery_of(subscription, event)) is not None and d.attempts >= 2,
        timeout=30,
        what="two refused attempts",
    )
    receiver.answers.append(503)
    receiver.start()

    # Then the event is delivered after retries, every attempt logged
    wait_until(lambda: delivered(subscription, event), timeout=30, what="the delivery")
    attempts = list(delivery_of(subscription, event).log.order_by("number"))
    codes = [a.status_code for a in attempts]
    assert codes[-2:] == [503, 200]
    assert all(code is None for code in codes[:-2])
    assert len(codes) >= 4
    assert all("refused" in a.error.lower() for a in attempts[:-2])
    assert "HTTP 503" in attempts[-2].error
    assert [a.number for a in attempts] == list(range(1, len(attempts) + 1))
    assert [r.status for r in receiver.requests] == [503, 200]
    assert all(verify(r.headers, r.body) for r in receiver.requests)
    subscription.refresh_from_db()
    assert subscription.active
    assert subscription.consecutive_failures == 0  # reset by the success


def test_a_receiver_that_keeps_failing_gets_its_subscription_disabled_until_enabled(
    start_celery, receiver
):
    receiver.default = 500
    receiver.start()
    start_celery("worker", **FAST)
    start_celery("beat", **FAST)
    subscription = subscribe(receiver.url())

    first = publish_item("a")

    wait_until(
        lambda: not WebhookSubscription.objects.get(pk=subscription.pk).active,
        timeout=30,
        what="the subscription to be disabled",
    )
    subscription.refresh_from_db()
    assert subscription.disabled_at is not None
    assert "3 failed attempts in a row" in subscription.disabled_reason
    assert "HTTP 500" in subscription.disabled_reason
    assert subscription.consecutive_failures == 3
    assert [a.status_code for a in delivery_of(subscription, first).log.all()] == [500] * 3

    # While disabled, its pending delivery is parked and new events are not queued for it
    second = publish_item("b")
    wait_until(
        lambda: Delivery.objects.filter(
            event=second, subscriber="integration.webhooks", status=Delivery.Status.DONE
        ).exists(),
        timeout=30,
        what="the bus to handle the second event",
    )
    time.sleep(1.5)  # several sweeps
    parked = delivery_of(subscription, first)
    assert (parked.status, parked.attempts) == (WebhookDelivery.Status.PENDING, 3)
    assert delivery_of(subscription, second) is None
    assert len(receiver.requests) == 3

    # Enabling clears the failures and sends the parked delivery
    receiver.default = 200
    webhook_subscription_enable(subscription=subscription)
    subscription.refresh_from_db()
    assert (subscription.active, subscription.disabled_reason, subscription.disabled_at) == (
        True,
        "",
        None,
    )

    wait_until(lambda: delivered(subscription, first), timeout=30, what="the parked delivery")
    assert [r.headers["X-Tandem-Event-Id"] for r in receiver.acknowledged()] == [str(first.uuid)]
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_the_subscriber_applied_twice_creates_one_delivery_per_subscription(bus_broker, receiver):
    one = subscribe(receiver.url("/one"))
    two = subscribe(receiver.url("/two"), event_types=["*"])
    subscribe(receiver.url("/three"), event_types=["bustest.flaky.happened"])
    event = publish_item()

    for _ in range(2):
        with transaction.atomic():
            on_any_event_for_webhooks(event)

    deliveries = WebhookDelivery.objects.filter(event=event)
    assert sorted(deliveries.values_list("subscription_id", flat=True)) == sorted([one.pk, two.pk])


def test_events_before_a_subscription_existed_are_not_sent_to_it(bus_broker, receiver):
    event = publish_item()
    subscribe(receiver.url())

    with transaction.atomic():
        assert webhooks.fan_out(event) == []


def webhook_bus_deliveries(event: Event) -> int:
    return Delivery.objects.filter(event=event, subscriber="integration.webhooks").count()


def test_the_webhooks_subscriber_gets_a_delivery_only_while_a_subscription_matches(
    bus_broker, receiver
):
    assert webhook_bus_deliveries(publish_item("a")) == 0  # no subscription at all

    subscription = subscribe(receiver.url(), event_types=["bustest.other.*"])
    assert webhook_bus_deliveries(publish_item("b")) == 0  # one that does not match

    webhooks.webhook_subscription_update(subscription=subscription, event_types=["bustest.*"])
    assert webhook_bus_deliveries(publish_item("c")) == 1  # the cached patterns followed

    webhooks.webhook_subscription_disable(subscription=subscription, reason="paused")
    assert webhook_bus_deliveries(publish_item("d")) == 0

    webhooks.webhook_subscription_enable(subscription=subscription)
    assert webhook_bus_deliveries(publish_item("e")) == 1


def test_a_subscription_created_in_the_publishing_transaction_gets_the_event(bus_broker, receiver):
    subscribe(receiver.url(), event_types=["bustest.other.*"])
    webhook_bus_deliveries(publish_item("warm"))  # the patterns are cached now
    with transaction.atomic():
        subscription = subscribe(receiver.url("/new"))
        event = publish(
            "bustest.item.changed", subject=Subject("busapp.item", "n", 1), data={"value": 1}
        )
    assert webhook_bus_deliveries(event) == 1
    assert fan_out_now(event) == [delivery_of(subscription, event).pk]


def fan_out_now(event: Event) -> list[int]:
    with transaction.atomic():
        return webhooks.fan_out(event)


def test_a_private_address_is_refused_at_send_time(bus_broker, receiver, settings):
    # Given a subscription made while private addresses were allowed, to a name that
    # resolves to loopback (as a rebinding attacker's name would after the check)
    receiver.start()
    subscription = subscribe(f"http://localhost:{receiver.port}/hook")
    ids = fan_out_now(publish_item())
    settings.TANDEM_WEBHOOKS_ALLOW_PRIVATE = False

    # When it is sent
    result = webhooks.send(ids)

    # Then nothing reaches the receiver and the attempt says why
    assert (result.delivered, result.failed) == (0, 1)
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    [attempt] = delivery.log.all()
    assert attempt.status_code is None
    assert "loopback address" in attempt.error
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.next_attempt_at > attempt.started_at

    # And with private addresses allowed (as in these tests) the same delivery goes out
    settings.TANDEM_WEBHOOKS_ALLOW_PRIVATE = True
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=attempt.started_at)
    assert webhooks.send(ids).delivered == 1
    assert len(receiver.requests) == 1


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(bus_broker, receiver, settings):
    settings.TANDEM_WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.delay = 3
    receiver.start()
    subscribe(receiver.url())
    ids = fan_out_now(publish_item())

    started = time.monotonic()
    result = webhooks.send(ids)

    assert time.monotonic() - started < 2.5
    assert result.failed == 1
    attempt = WebhookDelivery.objects.get(pk=ids[0]).log.get()
    assert attempt.error == "No answer within 0.5 s."
    assert attempt.status_code is None


def test_a_delivery_is_given_up_after_the_last_attempt(bus_broker, receiver, settings):
    settings.TANDEM_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.default = 410
    receiver.start()
    subscribe(receiver.url())
    ids = fan_out_now(publish_item())

    webhooks.send(ids)
    WebhookDelivery.objects.filter(pk__in=ids).update(
        next_attempt_at=Event.objects.get().occurred_at
    )
    result = webhooks.send(ids)

    assert result.gave_up == 1
    delivery = WebhookDelivery.objects.get(pk=ids[0])
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 2, 410)
    assert webhooks.due_deliveries() == []
