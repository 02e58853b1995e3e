"""Outbound webhooks: subscriptions, URL safety, signing, sending, and claiming and recording.

The bus subscriber in integration/handlers.py calls `fan_out` for every event: one
WebhookDelivery per (active matching subscription, event), unique on the pair, written in
the bus delivery's transaction, so each pair is created exactly once. Sending mirrors
integration.dispatch, except that no transaction is open while HTTP is on the wire:

1. **Claim** (a short transaction): due, pending deliveries of active subscriptions get a
   lease (`SKIP LOCKED`), so two workers never send the same delivery at the same time.
2. **Send** (no transaction): the claimed deliveries are POSTed concurrently, each signed
   and bounded by TANDEM_WEBHOOK_TIMEOUT_SECONDS. The host is resolved and checked here,
   and the connection made to the address that was checked: DNS cannot rebind a public
   name to a private address between the check and the request.
3. **Record** (a short transaction per delivery): the attempt is logged; a 2xx marks the
   delivery delivered and resets the subscription's failure count; anything else schedules
   a retry with backoff and jitter, and enough failures in a row disable the subscription.

Retries are not Celery countdowns: the sweeper (`integration.sweep_webhooks`) queues what
is due. Deliveries of a disabled subscription stay pending, parked, until it is enabled.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import re
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from integration import leasing
from integration.events import EventError, get_event_type
from integration.models import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription
from integration.payloads import event_payload

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - a public marker, not a secret
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 200
MAX_EVENT_TYPES = 50
MAX_URL_LENGTH = 2000
SNIPPET_LENGTH = 500
USER_AGENT = f"Tandem-Webhooks/{settings.TANDEM_VERSION}"
SWEEP_LIMIT = 10_000
_PATTERN_RE = re.compile(r"^[a-z0-9_.*]+$")


# ---------------------------------------------------------------- settings


def allow_private() -> bool:
    return settings.TANDEM_WEBHOOKS_ALLOW_PRIVATE


def timeout() -> float:
    return settings.TANDEM_WEBHOOK_TIMEOUT_SECONDS


def lease() -> timedelta:
    # Longer than any send can take (connect plus the overall deadline), with a margin.
    return timedelta(seconds=2 * timeout() + 30)


def backoff(attempts: int) -> timedelta:
    return leasing.backoff(
        attempts,
        base=settings.TANDEM_WEBHOOK_RETRY_BASE_SECONDS,
        cap=settings.TANDEM_WEBHOOK_RETRY_MAX_SECONDS,
    )


# ---------------------------------------------------------------- URL safety


class AddressRefused(Exception):
    """The URL's host is (or resolves to) an address webhooks may not be sent to."""


def _forbidden_kind(address: str) -> str | None:
    """Why an address is not public (`"loopback"`, `"private"`...), or None if it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "non-public"
    return None


def resolve(host: str, port: int) -> list[str]:
    """The addresses to connect to for host:port, all checked (unless private ones are allowed).

    Every address the name resolves to must be public: a name that resolves to one public and
    one private address is refused rather than connected to half the time.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"The host {host} could not be resolved ({exc}).") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private():
        for address in addresses:
            kind = _forbidden_kind(address)
            if kind is not None:
                raise AddressRefused(
                    f"The host {host} is {address}, a {kind} address: webhooks are sent to "
                    "public addresses only."
                )
    return addresses


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname or "", parts.port or default


# ---------------------------------------------------------------- validation


def clean_url(url: str) -> str:
    """A receivable http(s) URL (fragment dropped), or ValidationError with the reason."""
    url = (url or "").strip()
    if not url:
        raise ValidationError("Give the URL that receives the webhooks.")
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"At most {MAX_URL_LENGTH} characters.")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("Only http and https URLs can receive webhooks.")
    try:
        URLValidator(schemes=["http", "https"])(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except (ValidationError, ValueError) as exc:
        raise ValidationError("Enter a valid http(s) URL.") from exc
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            "Leave credentials out of the URL: the receiver verifies the signature instead."
        )
    url = urlunsplit(parts._replace(scheme=parts.scheme.lower(), fragment=""))
    if not allow_private():
        try:
            resolve(*_host_and_port(url))
        except AddressRefused as exc:
            raise ValidationError(str(exc)) from exc
    return url


def clean_event_types(event_types: Any) -> list[str]:
    """Registered type names and patterns (`crm.account.*`, `*`), without duplicates."""
    if not isinstance(event_types, list | tuple) or not event_types:
        raise ValidationError("Give a non-empty list of event types or patterns.")
    if len(event_types) > MAX_EVENT_TYPES:
        raise ValidationError(f"At most {MAX_EVENT_TYPES} event types or patterns.")
    cleaned: list[str] = []
    errors: list[str] = []
    for value in event_types:
        if not isinstance(value, str) or not value.strip():
            errors.append("Each event type must be a non-empty string.")
            continue
        value = value.strip()
        if len(value) > 100 or not _PATTERN_RE.match(value):
            errors.append(
                f"{value!r} is neither an event type nor a pattern: use names like "
                "crm.account.created, with * as a wildcard."
            )
        elif "*" not in value:
            try:
                get_event_type(value)
            except EventError:
                errors.append(
                    f"{value!r} is not a registered event type; see "
                    "/api/v1/integration/event-types/ (or use a pattern with *)."
                )
        if value not in cleaned:
            cleaned.append(value)
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_secret(secret: str) -> str:
    if len(secret) < MIN_SECRET_LENGTH or len(secret) > MAX_SECRET_LENGTH:
        raise ValidationError(
            f"A secret has {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters; leave it "
            "out to have one generated."
        )
    if not secret.isprintable() or secret != secret.strip():
        raise ValidationError("A secret has no spaces at its ends and no control characters.")
    return secret


def _validated(**fields: Any) -> dict[str, Any]:
    """Clean the given fields (None: not given); one ValidationError naming every bad field."""
    cleaners = {
        "url": clean_url,
        "event_types": clean_event_types,
        "secret": clean_secret,
        "description": lambda value: value.strip(),
    }
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if value is None:
            continue
        try:
            cleaned[name] = cleaners[name](value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def matches(patterns: Iterable[str], event_type: str) -> bool:
    return any(fnmatchcase(event_type, pattern) for pattern in patterns)


# ---------------------------------------------------------------- services


@transaction.atomic
def webhook_subscription_create(
    *,
    url: str,
    event_types: list[str],
    description: str = "",
    secret: str | None = None,
    created_by: Any = None,
) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL; returns it with its secret (generated if not given), to show once."""
    fields = _validated(url=url, event_types=event_types, description=description, secret=secret)
    raw = fields.pop("secret", None) or generate_secret()
    subscription = WebhookSubscription(
        **fields,
        secret=raw,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    subscription.full_clean()
    subscription.save()
    subscriptions_changed()
    return subscription, raw


@transaction.atomic
def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
) -> WebhookSubscription:
    """Change the URL, event types or description (None: leave as is)."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    fields = _validated(url=url, event_types=event_types, description=description)
    changed = [name for name, value in fields.items() if getattr(subscription, name) != value]
    for name in changed:
        setattr(subscription, name, fields[name])
    if changed:
        subscription.full_clean()
        subscription.save(update_fields=[*changed, "updated_at"])
        subscriptions_changed()
    return subscription


@transaction.atomic
def webhook_subscription_enable(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """Send again: clear the failures and the disabled reason; parked deliveries are due now."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.active = True
    subscription.consecutive_failures = 0
    subscription.failing_since = None
    subscription.disabled_at = None
    subscription.disabled_reason = ""
    subscription.save(
        update_fields=[
            "active",
            "consecutive_failures",
            "failing_since",
            "disabled_at",
            "disabled_reason",
            "updated_at",
        ]
    )
    subscriptions_changed()
    parked = subscription.deliveries.filter(status=WebhookDelivery.Status.PENDING)
    ids = list(parked.values_list("pk", flat=True))
    # A fresh start: the attempts they spent while the receiver was down do not count.
    parked.update(attempts=0, next_attempt_at=timezone.now(), lease_until=None)
    transaction.on_commit(lambda: enqueue(ids))
    return subscription


@transaction.atomic
def webhook_subscription_disable(
    *, subscription: WebhookSubscription, reason: str
) -> WebhookSubscription:
    """Stop sending; new events are not queued for it and pending deliveries wait."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.active:
        _disable(subscription, reason, timezone.now())
        subscription.save(update_fields=["active", "disabled_at", "disabled_reason", "updated_at"])
        subscriptions_changed()
    return subscription


def _disable(subscription: WebhookSubscription, reason: str, now: datetime) -> None:
    subscription.active = False
    subscription.disabled_at = now
    subscription.disabled_reason = reason


@transaction.atomic
def webhook_subscription_rotate_secret(
    *, subscription: WebhookSubscription, secret: str | None = None
) -> tuple[WebhookSubscription, str]:
    """Replace the secret (generated if not given); returns it, to show once."""
    fields = _validated(secret=secret)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.secret = fields.get("secret") or generate_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription, subscription.secret


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete the subscription with its deliveries and their attempt log."""
    WebhookSubscription.objects.filter(pk=subscription.pk).delete()
    subscriptions_changed()


def webhook_delivery_retry(deliveries: QuerySet[WebhookDelivery]) -> int:
    """Make deliveries pending and due now, with a fresh attempt count; returns how many."""
    now = timezone.now()
    ids = list(deliveries.values_list("pk", flat=True))
    count = WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDelivery.Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        delivered_at=None,
        updated_at=now,
    )
    enqueue(ids)
    return count


# ---------------------------------------------------------------- fan-out (bus subscriber)

# The patterns of all active subscriptions, cached under a version that every subscription
# change replaces once it commits. A reader that fetched the version before the change may
# store a stale list, but under the old version, which nobody reads any more.
_PATTERNS_VERSION_KEY = "integration:webhooks:patterns-version"
_PATTERNS_TTL = 300


def _patterns_key(version: str) -> str:
    return f"integration:webhooks:patterns:{version}"


def _active_patterns() -> set[str]:
    return {
        pattern
        for patterns in WebhookSubscription.objects.filter(active=True).values_list(
            "event_types", flat=True
        )
        for pattern in patterns
    }


def wanted(event_type: str) -> bool:
    """Could an active subscription want this type? Asked once per published event, so an
    installation without webhooks pays a cache read, not a delivery, per event."""
    try:
        version = cache.get(_PATTERNS_VERSION_KEY)
        if version is None:
            cache.add(_PATTERNS_VERSION_KEY, secrets.token_hex(8), timeout=None)
            return matches(_active_patterns(), event_type)
        patterns = cache.get(_patterns_key(version))
        if patterns is None:
            patterns = _active_patterns()
            cache.set(_patterns_key(version), patterns, timeout=_PATTERNS_TTL)
    except Exception:  # a cache outage must not hide events from webhooks: let fan_out decide
        logger.warning("Webhook patterns cache unavailable.", exc_info=True)
        return True
    return matches(patterns, event_type)


def _patterns_changed() -> None:
    try:
        cache.set(_PATTERNS_VERSION_KEY, secrets.token_hex(8), timeout=None)
    except Exception:
        logger.exception("Could not invalidate the webhook patterns cache.")


def subscriptions_changed() -> None:
    """Call in every transaction that adds or changes a subscription's patterns or state."""
    _patterns_changed()  # now, for readers inside this transaction
    transaction.on_commit(_patterns_changed)  # and after commit, for everyone else


def fan_out(event: Event) -> list[int]:
    """Create the event's deliveries (idempotent) and queue them once the caller commits.

    A subscription receives the events that occur after it is created, while it is active.
    """
    candidates = WebhookSubscription.objects.filter(
        active=True, created_at__lte=event.occurred_at
    ).values_list("pk", "event_types")
    matched = [pk for pk, patterns in candidates if matches(patterns, event.type)]
    if not matched:
        return []
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(subscription_id=pk, event=event, next_attempt_at=now) for pk in matched],
        ignore_conflicts=True,  # applied again: the pair exists already
    )
    ids = list(
        WebhookDelivery.objects.filter(
            event=event, subscription_id__in=matched, status=WebhookDelivery.Status.PENDING
        ).values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: enqueue(ids))
    return ids


def enqueue(delivery_ids: list[int]) -> None:
    """Queue sending; if the broker is down, the sweeper queues them later."""
    from integration.tasks import send_webhooks

    leasing.queue_by_id(send_webhooks, delivery_ids, batch=settings.TANDEM_WEBHOOK_BATCH_SIZE)


# ---------------------------------------------------------------- signing and sending


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, the X-Tandem-Signature header."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def render_body(event: Event) -> bytes:
    """The event as one feed item, compact JSON in UTF-8."""
    payload = event_payload(event)
    return json.dumps(
        payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
    ).encode()


@dataclass(frozen=True)
class Message:
    """What one attempt sends: everything from the database, read before sending."""

    delivery_id: int
    subscription_id: int
    attempt: int
    url: str
    secret: str
    event_id: str
    event_type: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    started_at: datetime
    latency_ms: int
    status_code: int | None = None
    snippet: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedConnection:
    """Connects to addresses resolved (and checked) beforehand, never resolving again."""

    addresses: list[str]
    host: str
    port: int
    timeout: float

    def _connect_pinned(self) -> socket.socket:
        error: OSError | None = None
        for address in self.addresses:
            try:
                sock = socket.create_connection((address, self.port), self.timeout)
            except OSError as exc:
                error = exc
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        raise error or OSError("No address to connect to.")


class _HTTPConnection(_PinnedConnection, http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = self._connect_pinned()


class _HTTPSConnection(_PinnedConnection, http.client.HTTPSConnection):
    def connect(self) -> None:
        # The certificate is checked against the URL's host name, not the address.
        self.sock = self._context.wrap_socket(self._connect_pinned(), server_hostname=self.host)


def _abort(conn: http.client.HTTPConnection, fired: threading.Event) -> None:
    """Past the deadline: shut the socket down, which ends a read blocked on it."""
    fired.set()
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def post(message: Message) -> Outcome:
    """POST one signed message and return what happened. No database access (runs in threads).

    The whole exchange (resolve, connect, send, answer) gets TANDEM_WEBHOOK_TIMEOUT_SECONDS:
    a receiver that trickles its answer byte by byte is cut off, not waited for. Redirects
    are not followed (they would lead past the address check).
    """
    limit = timeout()
    started_at = timezone.now()
    start = time.monotonic()

    def outcome(**fields: Any) -> Outcome:
        latency = round((time.monotonic() - start) * 1000)
        return Outcome(started_at=started_at, latency_ms=latency, **fields)

    parts = urlsplit(message.url)
    host, port = _host_and_port(message.url)
    try:
        addresses = resolve(host, port)
    except AddressRefused as exc:
        return outcome(error=f"Not sent: {exc}")
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Tandem-Event-Id": message.event_id,
        "X-Tandem-Event-Type": message.event_type,
        "X-Tandem-Timestamp": timestamp,
        "X-Tandem-Signature": sign(message.secret, timestamp, message.body),
    }
    conn_class = _HTTPSConnection if parts.scheme == "https" else _HTTPConnection
    conn = conn_class(host, port, timeout=limit)
    conn.addresses = addresses
    fired = threading.Event()
    timer = threading.Timer(limit, _abort, args=(conn, fired))
    timer.daemon = True
    timer.start()
    try:
        path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        conn.request("POST", path, body=message.body, headers=headers)
        response = conn.getresponse()
        snippet = response.read(4 * SNIPPET_LENGTH).decode("utf-8", "replace")[:SNIPPET_LENGTH]
        status = response.status
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        if fired.is_set() or isinstance(exc, TimeoutError):
            return outcome(error=f"No answer within {limit:g} s.")
        if isinstance(exc, ssl.SSLError):
            return outcome(error=f"TLS error: {exc}")
        return outcome(error=f"{type(exc).__name__}: {exc}".rstrip(": "))
    except Exception as exc:  # anything else is this attempt's failure, not the batch's
        logger.exception("Webhook delivery %s: unexpected error sending.", message.delivery_id)
        return outcome(error=f"{type(exc).__name__}: {exc}")
    finally:
        timer.cancel()
        conn.close()
    if fired.is_set():
        return outcome(error=f"No answer within {limit:g} s.")
    acknowledged = 200 <= status < 300
    error = "" if acknowledged else f"HTTP {status}: the receiver did not acknowledge the event."
    return outcome(status_code=status, snippet=snippet, error=error)


# ---------------------------------------------------------------- claim, send, record


@dataclass
class SendResult:
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0
    disabled: int = 0


def _active_subscriptions() -> QuerySet:
    return WebhookSubscription.objects.filter(active=True).values("pk")


def claim(delivery_ids: list[int] | None, *, limit: int) -> list[int]:
    """Lease due pending deliveries of active subscriptions (the given ones, or any)."""
    now = timezone.now()
    ready = Q(
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now,
        subscription_id__in=_active_subscriptions(),
    ) & leasing.unleased(now)
    with transaction.atomic():
        ids = leasing.lock_due(
            WebhookDelivery.objects.filter(ready), ids=delivery_ids, limit=limit, fields=("pk",)
        )
        if ids:
            WebhookDelivery.objects.filter(pk__in=ids).update(lease_until=now + lease())
    return ids


def _messages(delivery_ids: list[int]) -> list[Message]:
    deliveries = WebhookDelivery.objects.filter(pk__in=delivery_ids).select_related(
        "event", "subscription"
    )
    return [
        Message(
            delivery_id=d.pk,
            subscription_id=d.subscription_id,
            attempt=d.attempts + 1,
            url=d.subscription.url,
            secret=d.subscription.secret,
            event_id=str(d.event.uuid),
            event_type=d.event.type,
            body=render_body(d.event),
        )
        for d in deliveries
    ]


def record(message: Message, outcome: Outcome) -> str:
    """Log the attempt and apply its outcome in one short transaction; returns what happened.

    Locks the subscription before the delivery (the order enabling uses too).
    """
    now = timezone.now()
    with transaction.atomic():
        subscription = (
            WebhookSubscription.objects.select_for_update()
            .filter(pk=message.subscription_id)
            .first()
        )
        delivery = (
            WebhookDelivery.objects.select_for_update().filter(pk=message.delivery_id).first()
        )
        if subscription is None or delivery is None:
            return "deleted"
        delivery.attempts += 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            url=message.url,
            started_at=outcome.started_at,
            ok=outcome.ok,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_snippet=outcome.snippet,
            error=outcome.error,
        )
        delivery.lease_until = None
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        sub_fields = ["consecutive_failures", "failing_since", "updated_at"]
        if outcome.ok:
            result = "delivered"
            if delivery.status == WebhookDelivery.Status.PENDING:
                delivery.status = WebhookDelivery.Status.DELIVERED
                delivery.delivered_at = now
            subscription.consecutive_failures = 0
            subscription.failing_since = None
            subscription.last_success_at = now
            sub_fields.append("last_success_at")
        else:
            result = _failed(delivery, subscription, outcome, now)
            sub_fields += ["last_failure_at", "active", "disabled_at", "disabled_reason"]
        delivery.save(
            update_fields=[
                "attempts",
                "lease_until",
                "last_status_code",
                "last_error",
                "status",
                "delivered_at",
                "next_attempt_at",
                "updated_at",
            ]
        )
        subscription.save(update_fields=sub_fields)
    return result


def _failed(
    delivery: WebhookDelivery, subscription: WebhookSubscription, outcome: Outcome, now: datetime
) -> str:
    result = "failed"
    if delivery.status == WebhookDelivery.Status.PENDING:
        if delivery.attempts >= settings.TANDEM_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            result = "gave_up"
            logger.warning(
                "Webhook delivery %s to %s given up after %s attempts: %s",
                delivery.pk,
                subscription.url,
                delivery.attempts,
                outcome.error,
            )
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
    subscription.consecutive_failures += 1
    subscription.failing_since = subscription.failing_since or now
    subscription.last_failure_at = now
    failing_for = (now - subscription.failing_since).total_seconds()
    if (
        subscription.active
        and subscription.consecutive_failures >= settings.TANDEM_WEBHOOK_DISABLE_AFTER
        and failing_for >= settings.TANDEM_WEBHOOK_DISABLE_AFTER_SECONDS
    ):
        reason = (
            f"Disabled after {subscription.consecutive_failures} failed attempts in a row "
            f"since {subscription.failing_since:%Y-%m-%d %H:%M:%S %Z}. Last: {outcome.error}"
        )
        _disable(subscription, reason, now)
        logger.error("Webhook subscription %s (%s) disabled.", subscription.pk, subscription.url)
        result = "disabled"
    return result


def send(delivery_ids: list[int] | None = None, *, batch: int | None = None) -> SendResult:
    """Claim due deliveries (the given ones first, then others), send them, record outcomes."""
    batch = batch or settings.TANDEM_WEBHOOK_BATCH_SIZE
    claimed = claim(delivery_ids, limit=batch)
    if delivery_ids is not None and len(claimed) < batch:
        claimed += claim(None, limit=batch - len(claimed))  # piggy-back: one task, many
    result = SendResult()
    if not claimed:
        return result
    messages = _messages(claimed)
    with ThreadPoolExecutor(max_workers=len(messages), thread_name_prefix="webhook") as pool:
        futures = {pool.submit(post, message): message for message in messages}
        for future in as_completed(futures):
            outcome = record(futures[future], future.result())
            if outcome == "delivered":
                result.delivered += 1
            elif outcome == "gave_up":
                result.gave_up += 1
            elif outcome == "disabled":
                result.disabled += 1
            elif outcome == "failed":
                result.failed += 1
    return result


def due_deliveries(*, limit: int = SWEEP_LIMIT) -> list[int]:
    """Pending deliveries of active subscriptions that are due and nobody is sending.

    A delivery never attempted is left to its on-commit task for a grace period.
    """
    now = timezone.now()
    grace = settings.TANDEM_WEBHOOK_SWEEP_GRACE
    return list(
        WebhookDelivery.objects.filter(
            Q(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
                subscription_id__in=_active_subscriptions(),
            )
            & (Q(attempts__gt=0) | Q(created_at__lte=now - grace))
            & leasing.unleased(now)
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
