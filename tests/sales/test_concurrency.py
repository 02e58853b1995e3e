"""No overselling: many confirmations at once against PostgreSQL, each on its own connection."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from inventory.errors import InsufficientStock
from inventory.selectors import ledger_balances, stock_levels, stored_balances
from sales import services
from sales.models import SalesOrder
from tests.factories.sales import make_account, make_order, make_product, the_warehouse

CLIENTS = 50
STOCK = 10


def _run_concurrently(order_ids: list[int]) -> tuple[list, list, list[BaseException]]:
    barrier = threading.Barrier(len(order_ids))
    confirmed: list[int] = []
    short: list[list[dict]] = []  # the short lines of each refusal
    failures: list[BaseException] = []
    lock = threading.Lock()

    def confirm(order_id: int) -> None:
        try:
            order = SalesOrder.objects.get(pk=order_id)
            barrier.wait(timeout=60)
            try:
                services.order_confirm(order=order)
            except InsufficientStock as exc:
                with lock:
                    short.append(exc.lines)
            else:
                with lock:
                    confirmed.append(order_id)
        except BaseException as exc:  # surfaced by the test, not lost in the thread
            with lock:
                failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(pk,)) for pk in order_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return confirmed, short, failures


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_confirmations_never_oversell():
    # Given 10 in stock and 50 draft orders of 1 each
    warehouse = the_warehouse()
    product = make_product(stock=STOCK, warehouse=warehouse)
    account = make_account()
    order_ids = [make_order(account, (product, "1")).pk for _ in range(CLIENTS)]

    # When all 50 are confirmed at the same moment
    confirmed, short, failures = _run_concurrently(order_ids)

    # Then exactly 10 are confirmed and 40 are refused for insufficient stock
    assert failures == []
    assert len(confirmed) == STOCK
    assert len(short) == CLIENTS - STOCK
    assert {(lines[0]["product"], lines[0]["requested"]) for lines in short} == {
        (product.pk, "1.000")
    }
    statuses = SalesOrder.objects.values_list("status", flat=True)
    assert sorted(set(statuses)) == ["confirmed", "draft"]
    assert SalesOrder.objects.filter(status="confirmed").count() == STOCK
    stock = stock_levels(product_ids=[product.pk])[product.pk]
    assert (stock.on_hand, stock.reserved, stock.available) == (
        Decimal(STOCK),
        Decimal(STOCK),
        Decimal(0),
    )
    assert ledger_balances() == stored_balances()
