"""Fixtures for the sales tests: a warehouse, a customer, the events a test published."""

import pytest

from integration.models import Event
from tests.factories.sales import make_account, the_warehouse


@pytest.fixture
def new_events(db):
    """new_events(prefix) → the events published since the fixture was set up, oldest first."""
    start = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    def events(type_prefix: str = "") -> list[Event]:
        qs = Event.objects.filter(seq__gt=start, type__startswith=type_prefix).order_by("seq")
        return list(qs)

    return events


@pytest.fixture
def warehouse(db):
    return the_warehouse()


@pytest.fixture
def account(db):
    return make_account("Acme Oy")
