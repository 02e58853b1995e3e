"""`seed_demo`'s sales part: every status for the demo accounts, through the services, once."""

import io

import pytest
from django.core.management import call_command

from inventory.models import Product
from inventory.selectors import ledger_balances, stored_balances
from sales import demo
from sales.models import Contract, PriceList, Quote, SalesOrder
from tests.factories.sales import make_product, the_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_password_in_tmp(settings, tmp_path):
    """integration's demo writes the demo users' password file under VAR_DIR."""
    settings.VAR_DIR = tmp_path


@pytest.fixture
def seeded_crm_and_stock():
    call_command("seed_demo", stdout=io.StringIO())  # every app, sales included
    if not Product.objects.exists():  # before inventory ships its own demo
        warehouse = the_warehouse()
        for n in range(12):
            make_product(stock=200, warehouse=warehouse, price=f"{10 + n}.00", tax_rate="24.00")


def test_demo_has_every_status_and_runs_once(seeded_crm_and_stock):
    lines: list[str] = []
    demo.seed(scale=None, log=lines.append)
    assert set(SalesOrder.objects.values_list("status", flat=True)) >= {
        s.value for s in SalesOrder.Status
    }
    assert set(Quote.objects.values_list("status", flat=True)) == {s.value for s in Quote.Status}
    assert Quote.objects.filter(status="accepted", order__isnull=False).count() == 4
    assert Contract.objects.filter(renewal_reminded_at__isnull=False).exists()
    assert Contract.objects.filter(status="ended").exists()
    assert PriceList.objects.filter(is_default=True).count() == 1
    assert ledger_balances() == stored_balances()

    counts = (SalesOrder.objects.count(), Quote.objects.count(), Contract.objects.count())
    again: list[str] = []
    demo.seed(scale=None, log=again.append)
    assert (SalesOrder.objects.count(), Quote.objects.count(), Contract.objects.count()) == counts
    assert any("already present" in line for line in again)


def test_scale_mode_does_nothing(db):
    lines: list[str] = []
    demo.seed(scale=1000, log=lines.append)
    assert not SalesOrder.objects.exists()
    assert len(lines) == 1
    assert "Scale mode" in lines[0]
