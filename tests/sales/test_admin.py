"""Sales admin: every model is registered and renders; transitions go through the services."""

from decimal import Decimal

import pytest
from django.contrib import admin

from sales import services
from sales.models import Contract, OrderLine, PriceList, PriceListItem, Quote, QuoteLine, SalesOrder
from tests.factories.sales import make_order, make_product

pytestmark = pytest.mark.django_db

MODELS = [PriceList, PriceListItem, Quote, QuoteLine, SalesOrder, OrderLine, Contract]


@pytest.fixture
def staff_client(admin_client, settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = []
    return admin_client


def test_every_sales_model_is_registered():
    assert all(admin.site.is_registered(model) for model in MODELS)


def test_changelists_and_change_pages_render(staff_client, account, warehouse):
    product = make_product(stock=5)
    order = make_order(account, (product, "1"))
    services.quote_create(account=account, lines=[{"product": product, "quantity": 1}])
    services.price_list_create(
        name="L", items=[{"product": product, "min_quantity": Decimal("1"), "unit_price": 1}]
    )
    for model in MODELS:
        url = f"/admin/sales/{model._meta.model_name}/"
        assert staff_client.get(url).status_code == 200, url
    assert staff_client.get(f"/admin/sales/salesorder/{order.pk}/change/").status_code == 200


def test_admin_actions_call_the_services(staff_client, account, warehouse, new_events):
    product = make_product(stock=5)
    order = make_order(account, (product, "2"))
    response = staff_client.post(
        "/admin/sales/salesorder/", {"action": "confirm", "_selected_action": [order.pk]}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert new_events("sales.order.")[-1].type == "sales.order.confirmed"
    # A refused transition is a message, not a 500.
    response = staff_client.post(
        "/admin/sales/salesorder/",
        {"action": "confirm", "_selected_action": [order.pk]},
        follow=True,
    )
    assert b"Refused" in response.content


def test_price_list_admin_saves_through_the_service(staff_client):
    response = staff_client.post(
        "/admin/sales/pricelist/add/",
        {
            "name": "Admin list",
            "currency": "EUR",
            "active": "on",
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert PriceList.objects.get().name == "Admin list"
