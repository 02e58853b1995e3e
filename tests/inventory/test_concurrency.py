"""Reservations under concurrent callers on PostgreSQL: never more reserved than available."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from inventory import selectors, services
from inventory.errors import InsufficientStock
from inventory.models import Reservation
from inventory.services import ReserveLine
from tests.factories import inventory as make

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_concurrent_reservations_of_ten_in_stock_reserve_exactly_ten():
    # Given a product with 10 in stock
    warehouse = make.main_warehouse()
    product = make.product(stock=10)
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(50)

    def reserve(n: int) -> None:
        try:
            start.wait()
            services.stock_reserve(
                lines=[ReserveLine(product.pk, warehouse.pk, Decimal("1"))],
                reference=f"sales.order:{n}",
            )
            result = "ok"
        except InsufficientStock:
            result = "short"
        except Exception as exc:
            result = f"error: {exc!r}"
        finally:
            connection.close()  # each thread had its own connection
        with lock:
            outcomes.append(result)

    # When 50 callers each reserve 1 at the same moment
    threads = [threading.Thread(target=reserve, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()

    # Then exactly 10 succeed, 40 are short, and available ends at 0
    assert sorted(outcomes).count("ok") == 10, outcomes
    assert outcomes.count("short") == 40, outcomes
    stock = selectors.stock_levels(product_ids=[product.pk])[product.pk]
    assert stock == selectors.StockLevel(Decimal("10"), Decimal("10"), Decimal("0"))
    assert Reservation.objects.filter(quantity=1).count() == 10
    assert selectors.ledger_balances() == selectors.stored_balances()
