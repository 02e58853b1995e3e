"""The 360° pages: /customers/ with search (the navbar's box) and /customers/<id>/."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crm import services
from integration.customer_views import TIMELINE_PAGE
from integration.models import Event
from tests.integration.customer_helpers import apply_one_by_one, crm_events

pytestmark = pytest.mark.django_db


def test_search_finds_customers_by_name_and_by_contact_email(sales_client, story):
    by_name = sales_client.get("/customers/", {"q": "acme"}).content.decode()
    assert "Acme Oy" in by_name
    assert "Beta Ab" not in by_name

    by_email = sales_client.get("/customers/", {"q": "mika@beta"}).content.decode()
    assert "Acme Oy" in by_email  # Mika moved to Acme

    nothing = sales_client.get("/customers/", {"q": "zzz"}).content.decode()
    assert "No customer matches" in nothing


def test_search_as_htmx_returns_only_the_results(sales_client, story):
    response = sales_client.get(
        "/customers/", {"q": "beta"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="customer-results"')
    assert "Beta Ab" in html


def test_customer_page_shows_figures_contacts_opportunities_and_timeline(sales_client, story):
    acme = story["acme"].pk

    html = sales_client.get(f"/customers/{acme}/").content.decode()

    assert "Acme Oy" in html
    assert "5000.00" in html  # won
    assert "Aino Virtanen" in html
    opportunities = html.split('data-testid="customer-opportunities"')[1].split("</ul>")[0]
    assert "Pilot" in opportunities
    assert "Big deal" not in opportunities  # won: not open
    assert "Kick-off call" in html
    assert f'href="/crm/accounts/{acme}/"' in html
    assert "crm.account.merged" in html


def test_customer_page_shows_other_currencies_beside_the_customers_own(sales_client, story):
    acme = story["acme"]
    services.opportunity_create(
        account=acme, name="Export", amount=Decimal("300.00"), currency="USD"
    )
    apply_one_by_one(crm_events()[-1:])

    html = sales_client.get(f"/customers/{acme.pk}/").content.decode()

    figures = html.split('data-testid="customer-figures"')[1]
    assert "2600.50 EUR" in figures
    assert "+ 300.00 USD" in figures
    assert "2900.50" not in figures


def test_timeline_scrolls_with_htmx(sales_client, story):
    acme = story["acme"]
    for i in range(TIMELINE_PAGE + 5):
        services.account_update(account=acme, industry=f"Retail {i}")
    apply_one_by_one(crm_events())
    html = sales_client.get(f"/customers/{acme.pk}/").content.decode()
    assert 'hx-trigger="revealed"' in html
    assert 'hx-swap="outerHTML"' in html
    oldest_shown = Event.objects.filter(customer_id=acme.pk).order_by("-seq")[TIMELINE_PAGE - 1]

    more = sales_client.get(f"/customers/{acme.pk}/timeline/", {"before": oldest_shown.seq})

    assert more.status_code == 200
    chunks = more.content.decode().split('data-seq="')[1:]
    seqs = [int(chunk.split('"', 1)[0]) for chunk in chunks]
    assert seqs
    assert max(seqs) < oldest_shown.seq


def test_unknown_customer_page_is_404(sales_client):
    assert sales_client.get("/customers/424242/").status_code == 404


def test_customers_area_is_needed(make_user, story):
    client = Client()
    client.force_login(make_user(roles=["Warehouse"]))  # no customers area
    assert client.get("/customers/").status_code == 403
    assert client.get(f"/customers/{story['acme'].pk}/").status_code == 403


def test_customer_page_query_count_does_not_grow_with_the_customer(sales_client, story):
    small = services.account_create(name="Small")
    apply_one_by_one(crm_events()[-1:])
    counts = []
    for account_id in (small.pk, story["acme"].pk):
        sales_client.get(f"/customers/{account_id}/")
        with CaptureQueriesContext(connection) as queries:
            assert sales_client.get(f"/customers/{account_id}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
