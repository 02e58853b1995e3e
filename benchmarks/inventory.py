"""Latency of the product list API with stock figures, at `--products` products (100,000).

    .venv/bin/python -m benchmarks.inventory [--products 100000] [--requests 200]

Loads the products once (inventory.demo.seed_scale: bulk rows, one receipt move and the
balances each, in the default warehouse), then sends `--requests` GETs per URL through
Django's WSGI handler in this process (no network, one client) with a bearer token and
prints p50/p95/p99 and the SQL queries of one request. The URLs: the default page
(by SKU, 50 rows), page_size=10, a deep cursor page, a search, the low-stock filter, one
warehouse's figures and ordering by available stock (which must compute every product's).

Run of 2026-11-27 (2 shared CPUs at 100% with other agents' test runs, so an upper
bound; 100,000 products, 40 requests per URL; the load took 38 s), p50 / p95:
default page 29 / 39 ms, page_size=10 25 / 36 ms, 21 pages deep 31 / 46 ms,
search 29 / 36 ms (trigram indexes of 0003; 112 / 138 ms without), low_stock 18 / 30 ms,
one warehouse 42 / 80 ms, ordering=-available 1,273 / 2,650 ms (every product's stock is
computed to sort: fine for a report, not for a hot path).
Two queries per request (token and page) at any page size.
"""

from __future__ import annotations

import argparse
import random
import time
from urllib.parse import urlencode

from benchmarks.common import ensure_database, machine, percentile, setup_django, wait_for_quiet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--patience", type=float, default=600, help="s to wait for idle CPUs")
    args = parser.parse_args()

    ensure_database()
    setup_django(TANDEM_API_RATE="100000000/min")
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from integration.services import api_token_create
    from inventory import demo, services
    from inventory.selectors import default_warehouse
    from tests.factories.accounts import UserFactory

    with transaction.atomic():
        if default_warehouse() is None:
            services.warehouse_create(code="BENCH", name="Bench warehouse")
        started = time.perf_counter()
        demo.seed_scale(args.products, log=print)
        print(f"load: {time.perf_counter() - started:.1f} s")
        user = UserFactory(username="inventory-bench", roles=["Warehouse"])
        user.api_tokens.filter(name="inventory benchmark").delete()
        _, token = api_token_create(user=user, name="inventory benchmark", scopes=["*"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    api = "/api/v1/inventory/products/"
    warehouse = default_warehouse()
    first = client.get(f"{api}?page_size=50").json()
    deep = first["next"]
    for _ in range(20):
        deep = client.get(deep).json()["next"] or deep
    urls = {
        "products/ (50 by SKU)": f"{api}?page_size=50",
        "products/ page_size=10": f"{api}?page_size=10",
        "products/ 21 pages deep": deep,
        "products/?search=": None,
        "products/?low_stock=true": f"{api}?page_size=50&low_stock=true",
        "products/?warehouse=": f"{api}?page_size=50&warehouse={warehouse.pk}",
        "products/?ordering=-available": f"{api}?page_size=50&ordering=-available",
    }
    rng = random.Random(7)
    print(wait_for_quiet(patience=args.patience))
    print(f"{machine()}; {args.products:,} products; {args.requests} requests per URL")
    for name, url in urls.items():
        timings = []
        for _ in range(args.requests):
            path = url or f"{api}?" + urlencode(
                {"page_size": 50, "search": f"product {rng.randint(1, args.products)}"}
            )
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
        with CaptureQueriesContext(connection) as queries:
            client.get(url or f"{api}?search=product+1")
        p50, p95, p99 = (percentile(timings, p) for p in (50, 95, 99))
        print(
            f"{name:28} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms"
            f"  {len(queries)} queries"
        )


if __name__ == "__main__":
    main()
