"""What the 360° view is made of: appliers per event type, figures, entity tables, fact sources.

Each contributing area registers here instead of editing the core: an *applier* turns its
events into projection rows, an *aggregate* turns those rows into a customer's figures, and
a *fact source* (registered by the domain app itself, e.g. crm/facts.py) computes the same
figures from the domain tables so that `check_customer_view` can compare the two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db import models

    from integration.models import Event


@dataclass
class Batch:
    """What the appliers of one apply call share: the customers whose figures to recompute
    and the newest event time seen per customer."""

    touched: set[int] = field(default_factory=set)
    last_event: dict[int, datetime] = field(default_factory=dict)

    def touch(self, *account_ids: int | None) -> None:
        self.touched.update(a for a in account_ids if a is not None)

    def saw(self, account_id: int | None, occurred_at: datetime) -> None:
        if account_id is None:
            return
        current = self.last_event.get(account_id)
        if current is None or occurred_at > current:
            self.last_event[account_id] = occurred_at


# An applier gets the events of one batch that match its patterns, in commit order.
Applier = Callable[[list["Event"], Batch], None]
# An aggregate gets a filter on `account_id` (ids or a range) and returns
# {account_id: {figure: value}} for the accounts that have rows; others get `defaults`.
AggregateFn = Callable[[dict[str, Any]], dict[int, dict[str, Any]]]
# A fact source gets account ids (a list, or a `range` meaning every account in it) and
# returns {account_id: {figure: value}} from its own tables.
FactSourceFn = Callable[[list[int] | range], dict[int, dict[str, Any]]]


@dataclass(frozen=True)
class FactSource:
    name: str
    compute: FactSourceFn
    # Given for the source that says which customers exist (crm): the highest account id.
    # Such a source answers for every account in a range; an account it leaves out does
    # not exist. Other sources leave out accounts they have no figures for.
    max_account_id: Callable[[], int | None] | None = None


@dataclass(frozen=True)
class Aggregate:
    name: str
    defaults: dict[str, Any]
    compute: AggregateFn


_appliers: list[tuple[tuple[str, ...], Applier]] = []
_watched: set[str] = set()
_aggregates: dict[str, Aggregate] = {}
_entity_models: list[type[models.Model]] = []
_fact_sources: dict[str, FactSource] = {}


def applier(*patterns: str) -> Callable[[Applier], Applier]:
    """Register `fn(events, batch)` for event types matching any pattern (`crm.contact.*`)."""

    def register(fn: Applier) -> Applier:
        if all(fn is not existing for _, existing in _appliers):
            _appliers.append((patterns, fn))
            handles.cache_clear()
        return fn

    return register


def watch(*patterns: str) -> None:
    """Event types that change no figure but count for `last_event_at` (and the timeline)."""
    _watched.update(patterns)
    handles.cache_clear()


@lru_cache(maxsize=1024)
def handles(event_type: str) -> bool:
    """Whether the view wants this event type at all (asked by the bus at publish time)."""
    patterns = [p for patterns, _ in _appliers for p in patterns] + sorted(_watched)
    return any(fnmatchcase(event_type, p) for p in patterns)


def appliers_for(event_type: str) -> list[Applier]:
    return [fn for patterns, fn in _appliers if any(fnmatchcase(event_type, p) for p in patterns)]


def all_appliers() -> list[tuple[tuple[str, ...], Applier]]:
    return list(_appliers)


def register_aggregate(name: str, *, defaults: dict[str, Any], compute: AggregateFn) -> None:
    """Figures of CustomerView recomputed from projection rows (COUNT/SUM per account)."""
    _aggregates[name] = Aggregate(name, dict(defaults), compute)


def aggregates() -> list[Aggregate]:
    return list(_aggregates.values())


def register_entity_model(model: type[models.Model]) -> type[models.Model]:
    """A projection table with an `account_id`: re-pointed when accounts are merged."""
    if model not in _entity_models:
        _entity_models.append(model)
    return model


def entity_models() -> list[type[models.Model]]:
    return list(_entity_models)


def register_fact_source(
    name: str, fn: FactSourceFn, *, max_account_id: Callable[[], int | None] | None = None
) -> None:
    """A domain app's own computation of its 360° figures, for `check_customer_view`."""
    _fact_sources[name] = FactSource(name, fn, max_account_id)


# Subject type ("crm.contact") → the URL name of its page, taking the id ("crm:contact_detail").
_source_pages: dict[str, str] = {}


def register_source_page(subject_type: str, url_name: str) -> None:
    """Where a subject's own page is: the 360° page links its entries there. Registered by
    the app that owns the page (in its AppConfig.ready), so integration names none."""
    _source_pages[subject_type] = url_name


def source_page(subject_type: str, subject_id: object) -> str | None:
    """The URL of a subject's page, or None if no app registered one."""
    url_name = _source_pages.get(subject_type)
    if url_name is None:
        return None
    from django.urls import reverse

    return reverse(url_name, args=[subject_id])


_facts_discovered = False


def fact_sources() -> dict[str, FactSource]:
    """Every app's fact source; the first call imports each app's `facts.py`.

    Lazily, not at start-up: only the checker needs them, and a fact source imports its
    app's models, which the workers applying events do not need.
    """
    global _facts_discovered
    if not _facts_discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("facts")
        _facts_discovered = True
    return dict(_fact_sources)
