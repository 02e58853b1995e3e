"""The event bus's public API: event types, `publish`, `@subscriber`, and the current actor.

Apps declare their event types in `<app>/events.py` with `register_event_type` and their
subscribers in `<app>/handlers.py` with `@subscriber`; integration imports both modules of
every app at start-up (autodiscovery), so it never names another app.

    publish("crm.account.created", subject=account, customer_id=account.pk,
            data={"id": account.pk, "name": account.name})

writes one Event row and one Delivery row per matching subscriber in the caller's
transaction, and queues their dispatch when that transaction commits.
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from django.db import models, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from integration.models import ApiToken, Delivery, Event

logger = logging.getLogger(__name__)

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


class EventError(Exception):
    """A programming error in publishing: unknown type, invalid data, no transaction."""


# ---------------------------------------------------------------- event types


@dataclass(frozen=True)
class EventType:
    name: str
    version: int
    schema: dict
    description: str
    validator: Draft202012Validator = field(compare=False, repr=False)

    @property
    def app(self) -> str:
        return self.name.split(".", 1)[0]


_types: dict[tuple[str, int], EventType] = {}


def register_event_type(
    name: str, *, version: int = 1, schema: dict, description: str
) -> EventType:
    """Declare an event type (from an app's events.py). Names: `<app>.<subject>.<verb>`."""
    if not _NAME_RE.match(name):
        raise EventError(f"Event type {name!r} must look like '<app>.<subject>.<past_verb>'.")
    if version < 1:
        raise EventError(f"Event type {name!r}: version must be at least 1.")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise EventError(f"Event type {name}@{version}: invalid JSON schema: {exc}") from exc
    event_type = EventType(name, version, schema, description, Draft202012Validator(schema))
    existing = _types.get((name, version))
    if existing is not None and existing.schema != schema:
        raise EventError(f"Event type {name}@{version} is registered twice, differently.")
    _types[(name, version)] = event_type
    _matching_subscribers.cache_clear()
    return event_type


def event_types() -> list[EventType]:
    """Every registered type, by name then version."""
    return sorted(_types.values(), key=lambda t: (t.name, t.version))


def get_event_type(name: str, version: int | None = None) -> EventType:
    if version is None:
        versions = [v for (n, v) in _types if n == name]
        if not versions:
            raise EventError(f"Unknown event type {name!r}: declare it in its app's events.py.")
        version = max(versions)
    try:
        return _types[(name, version)]
    except KeyError as exc:
        raise EventError(f"Unknown event type {name}@{version}.") from exc


# ---------------------------------------------------------------- subscribers

Handler = Callable[[Event], None]


@dataclass(frozen=True)
class Subscriber:
    name: str
    patterns: tuple[str, ...]
    handler: Handler
    # Asked at publish time: False means "no work for me now", so no delivery is created.
    accepts: Callable[[str], bool] | None = None

    def matches(self, event_type: str) -> bool:
        return any(fnmatchcase(event_type, pattern) for pattern in self.patterns)


_subscribers: dict[str, Subscriber] = {}


def subscriber(
    *patterns: str, name: str, accepts: Callable[[str], bool] | None = None
) -> Callable[[Handler], Handler]:
    """Register a handler for event types matching any pattern (`crm.account.*`).

    `name` is stored on every delivery: keep it stable. The handler runs inside the
    transaction that marks its delivery done, so its writes and that mark commit together.
    It must be idempotent per event and guard projections with the subject's version.
    `accepts(event_type)`, if given, is asked when an event is published: a subscriber
    with nothing to do for it (e.g. webhooks with no matching subscription) gets no
    delivery. It must be cheap and must not say False when there is work.
    """
    if not patterns:
        raise EventError(f"Subscriber {name!r} needs at least one event type pattern.")

    def register(handler: Handler) -> Handler:
        existing = _subscribers.get(name)
        if existing is not None and existing.handler.__qualname__ != handler.__qualname__:
            raise EventError(f"Two subscribers are named {name!r}.")
        _subscribers[name] = Subscriber(name, tuple(patterns), handler, accepts)
        _matching_subscribers.cache_clear()
        return handler

    return register


def subscribers() -> list[Subscriber]:
    return sorted(_subscribers.values(), key=lambda s: s.name)


def get_subscriber(name: str) -> Subscriber | None:
    return _subscribers.get(name)


@lru_cache(maxsize=1024)
def _matching_subscribers(event_type: str) -> tuple[str, ...]:
    return tuple(s.name for s in subscribers() if s.matches(event_type))


# ---------------------------------------------------------------- actor

_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("tandem_actor", default=None)


@contextmanager
def acting_as(actor: Any) -> Iterator[None]:
    """Within this block, events record `actor` (a user, an ApiToken) unless told otherwise."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def set_current_actor(actor: Any) -> None:
    """Set the actor for the rest of this request or task (middleware, authentication)."""
    _actor.set(actor)


def _actor_fields(actor: Any) -> dict[str, str]:
    if isinstance(actor, ApiToken):
        return {
            "actor_type": Event.ActorType.TOKEN,
            "actor_id": str(actor.pk),
            "actor_label": f"{actor.user.get_username()} via token {actor.prefix}",
        }
    if actor is not None and getattr(actor, "is_authenticated", False):
        return {
            "actor_type": Event.ActorType.USER,
            "actor_id": str(actor.pk),
            "actor_label": actor.get_username(),
        }
    return {"actor_type": Event.ActorType.SYSTEM, "actor_id": "", "actor_label": ""}


# ---------------------------------------------------------------- publishing


@dataclass(frozen=True)
class Subject:
    """What an event is about, when it is not a model instance."""

    type: str
    id: str | int
    version: int | None = None


def _subject_fields(subject: models.Model | Subject) -> dict[str, Any]:
    if isinstance(subject, Subject):
        return {
            "subject_type": subject.type,
            "subject_id": str(subject.id),
            "subject_version": subject.version,
        }
    if isinstance(subject, models.Model):
        if subject.pk is None:
            raise EventError("Publish after saving: the subject has no primary key yet.")
        return {
            "subject_type": subject._meta.label_lower,
            "subject_id": str(subject.pk),
            "subject_version": getattr(subject, "version", None),
        }
    raise EventError(f"A subject is a model instance or a Subject, not {type(subject)!r}.")


def publish(
    type: str,
    *,
    subject: models.Model | Subject,
    data: dict,
    customer_id: int | None = None,
    actor: Any = None,
    version: int | None = None,
    using: str = "default",
) -> Event:
    """Record an event in the caller's transaction; dispatch starts after it commits."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise EventError(
            f"publish({type!r}) must run inside transaction.atomic(): the event and the "
            "change it reports commit together or not at all."
        )
    event_type = get_event_type(type, version)
    errors = sorted(event_type.validator.iter_errors(data), key=lambda e: list(e.path))
    if errors:
        details = "; ".join(
            f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors[:5]
        )
        raise EventError(f"Invalid data for {type}@{event_type.version}: {details}")
    event = Event(
        type=type,
        version=event_type.version,
        customer_id=customer_id,
        data=data,
        **_subject_fields(subject),
        **_actor_fields(actor if actor is not None else _actor.get()),
    )
    if connection.vendor == "postgresql":
        event.txid = RawSQL("pg_current_xact_id()::text::bigint", [])
    event.save(using=using)
    # Leave txid deferred: read from the database if anyone asks, not the expression.
    event.__dict__.pop("txid", None)
    names = [name for name in _matching_subscribers(type) if _accepts(name, type)]
    if names:
        now = timezone.now()
        deliveries = Delivery.objects.using(using).bulk_create(
            [Delivery(event=event, subscriber=name, next_attempt_at=now) for name in names]
        )
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _enqueue(ids), using=using)
    return event


def _accepts(name: str, event_type: str) -> bool:
    accepts = _subscribers[name].accepts
    return accepts is None or accepts(event_type)


def _enqueue(delivery_ids: list[int]) -> None:
    """Queue dispatch after commit; if the broker is down, the sweeper picks them up."""
    from integration.tasks import queue_dispatch

    queue_dispatch(delivery_ids)
