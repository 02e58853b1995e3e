"""The 360° view's search box (integration.customer_view.selectors.customer_search): the same
rules as the CRM's searches, through indexes, names first."""

import pytest

from integration.customer_view import selectors
from integration.models import CustomerContact, CustomerView

pytestmark = pytest.mark.django_db


def customer(account_id: int, name: str) -> CustomerView:
    return CustomerView.objects.create(account_id=account_id, name=name)


def contact(contact_id: int, account_id: int, name: str, email: str = "") -> CustomerContact:
    return CustomerContact.objects.create(
        contact_id=contact_id, account_id=account_id, name=name, email=email
    )


def names(q: str, limit: int = 50) -> list[str]:
    return [c.name for c in selectors.customer_search(q=q, limit=limit)]


def test_customers_by_name_then_by_contact_name_or_email():
    customer(1, "Tapio Foods Oy")
    customer(2, "Kaleva Timber Oy")
    customer(3, "Beta Ab")
    customer(4, "Gone Oy")
    CustomerView.objects.filter(pk=4).update(deleted=True)
    contact(10, 2, "Aino Virtanen", "aino.v@tapio.example")
    contact(11, 3, "Bo Berg", "bo@bigtapio.example")

    assert names("apio") == ["Tapio Foods Oy"]  # anywhere in a customer's name
    assert names("tapio") == ["Tapio Foods Oy", "Kaleva Timber Oy"]  # names, then domains
    assert names("virt") == ["Kaleva Timber Oy"]  # the start of a contact's name's word
    assert names("anen") == []
    assert names("aino.v@") == ["Kaleva Timber Oy"]  # an address
    assert names("@bigtapio.example") == ["Beta Ab"]
    assert names("foods tapio") == ["Tapio Foods Oy"]  # words in any order
    assert names("gone") == []  # a deleted customer


def test_a_broad_name_is_walked_in_name_order(monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_PROBE", 2)
    for pk, name in enumerate(["Nordic Data", "Data Beta", "Big Data", "Data Alpha", "Other"]):
        customer(pk + 1, name)

    assert names("data", limit=3) == ["Big Data", "Data Alpha", "Data Beta"]
    assert names("data") == ["Big Data", "Data Alpha", "Data Beta", "Nordic Data"]
