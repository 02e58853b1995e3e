"""Fixtures shared by the 360° view's API and page tests."""

import pytest
from django.test import Client

from tests.integration.customer_helpers import apply_one_by_one, crm_events, crm_story


@pytest.fixture
def sales_client(make_user) -> Client:
    client = Client()
    client.force_login(make_user(roles=["Sales"]))
    return client


@pytest.fixture
def story():
    """A small CRM history (see customer_helpers.crm_story), applied to the view."""
    story = crm_story()
    apply_one_by_one(crm_events())
    return story
