"""Sales orders confirmed per second, 8 concurrent clients: one hot product, then 1,000.

    .venv/bin/python -m benchmarks.sales [--orders 2000] [--clients 8] [--products 1000]

Service level (sales.services.order_confirm in threads, each with its own database
connection), so the figure is the cost of a confirmation itself: lock the order, reserve
its stock through inventory (row locks on the balance rows), publish the event, commit.

1. Hot product: `--orders` draft orders of 1 unit of the same product (stock for all of
   them), confirmed by `--clients` threads: they all queue on that product's balance row.
2. Spread: the same number of orders, each of 1 unit of one of `--products` products
   (chosen at random, seeded), confirmed the same way: little contention.

Prints confirmations/s and the p50/p95/p99 latency of one confirmation. Each run makes
its own products (a fresh SKU prefix) in the benchmark database (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import queue
import random
import threading
import time
from decimal import Decimal

from benchmarks.common import ensure_database, machine, percentile, setup_django


def _prepare(*, orders: int, products: int, prefix: str) -> tuple[list[int], list[int]]:
    from django.db import transaction

    from crm import services as crm
    from inventory import services as inventory
    from inventory.selectors import default_warehouse
    from sales import services

    with transaction.atomic():
        warehouse = default_warehouse() or inventory.warehouse_create(code="BENCH", name="Bench")
        account = crm.account_create(name=f"Bench customer {prefix}")
        hot = inventory.product_create(
            sku=f"{prefix}-HOT", name="Hot product", sales_price=Decimal("10.00")
        )
        inventory.stock_receive(product=hot, warehouse=warehouse, quantity=Decimal(orders))
        spread = []
        for n in range(products):
            product = inventory.product_create(
                sku=f"{prefix}-{n:05d}", name=f"Product {n}", sales_price=Decimal("10.00")
            )
            inventory.stock_receive(product=product, warehouse=warehouse, quantity=Decimal(orders))
            spread.append(product)
    rng = random.Random(7)

    def drafts(pick) -> list[int]:
        ids = []
        for _ in range(orders):
            with transaction.atomic():
                order = services.order_create(
                    account=account,
                    warehouse=warehouse,
                    lines=[{"product": pick(), "quantity": Decimal("1")}],
                )
            ids.append(order.pk)
        return ids

    return drafts(lambda: hot), drafts(lambda: rng.choice(spread))


def _confirm_all(order_ids: list[int], clients: int) -> tuple[float, list[float], int]:
    from django.db import connection

    from inventory.errors import InsufficientStock
    from sales import services
    from sales.models import SalesOrder

    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for pk in order_ids:
        work.put(pk)
    latencies: list[float] = []
    refused = 0
    lock = threading.Lock()
    start_line = threading.Barrier(clients + 1)

    def client() -> None:
        nonlocal refused
        mine: list[float] = []
        short = 0
        start_line.wait()
        try:
            while True:
                try:
                    pk = work.get_nowait()
                except queue.Empty:
                    break
                began = time.perf_counter()
                try:
                    services.order_confirm(order=SalesOrder(pk=pk, version=1))
                except InsufficientStock:
                    short += 1
                mine.append(time.perf_counter() - began)
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)
                refused += short

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, refused


def _report(label: str, elapsed: float, latencies: list[float], refused: int) -> None:
    ms = [x * 1000 for x in latencies]
    print(
        f"{label:<28} {len(latencies) / elapsed:8.1f} confirmations/s   "
        f"p50 {percentile(ms, 50):6.1f} ms  p95 {percentile(ms, 95):6.1f} ms  "
        f"p99 {percentile(ms, 99):6.1f} ms   refused {refused}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--products", type=int, default=1000)
    args = parser.parse_args()

    setup_django()
    ensure_database()
    prefix = f"B{int(time.time())}"
    print(f"Machine: {machine()}")
    print(f"Preparing {args.orders} draft orders twice, {args.products} products ...")
    hot, spread = _prepare(orders=args.orders, products=args.products, prefix=prefix)
    print(f"Confirming with {args.clients} concurrent clients:")
    _report("one hot product", *_confirm_all(hot, args.clients))
    _report(f"{args.products:,} products", *_confirm_all(spread, args.clients))


if __name__ == "__main__":
    main()
