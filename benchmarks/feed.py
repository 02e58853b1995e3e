"""Latency of one page of the event feed (GET /api/v1/integration/events/) over a large log.

    .venv/bin/python -m benchmarks.feed [--events 1000000] [--requests 300] [--reload]

1. Loads `--events` Event rows straight in SQL (INSERT … SELECT generate_series, in
   chunks of 100,000, one transaction each), unless the log already holds that many:
   19 event types in a skewed mix (from 26 % down to 2 % of the log) plus a rare one
   (0.05 %), 10,000 customers (20 % of events without one), increasing `occurred_at`,
   and increasing `txid`s each shared by a few events (as transactions that publish
   several events would), all below the current snapshot's xmin so the feed may hand
   them out. Then VACUUM ANALYZE.
2. Starts gunicorn (`config.wsgi`, 2 sync workers) on a free loopback port and sends
   `--requests` sequential requests per variant with a bearer token, each at a random
   cursor position (the `next` of a random event), page size 100: no filter,
   `?type=<a common type>`, `?type=<the rare type>`, `?type=sales.order.*`,
   `?customer=<random id>`. Prints p50/p95/p99 per variant (client side, the whole HTTP
   round trip).
3. Prints the EXPLAIN ANALYZE of the feed's query for one request of each variant.
"""

from __future__ import annotations

import argparse
import base64
import random
import time

import requests

from benchmarks.common import (
    Neighbours,
    ensure_database,
    free_port,
    gunicorn,
    machine,
    percentile,
    setup_django,
    wait_for_quiet,
    wait_until,
)

TYPES = [  # most frequent first; the load skews towards the start of this list
    "crm.account.updated",
    "sales.order.confirmed",
    "support.ticket.updated",
    "crm.contact.updated",
    "finance.invoice.posted",
    "sales.order.shipped",
    "inventory.stock.moved",
    "crm.account.created",
    "support.ticket.opened",
    "finance.payment.received",
    "sales.quote.sent",
    "crm.opportunity.updated",
    "finance.invoice.paid",
    "support.ticket.closed",
    "crm.contact.created",
    "sales.order.cancelled",
    "hr.employee.updated",
    "crm.opportunity.won",
    "finance.invoice.overdue",
]
RARE_TYPE = "crm.account.merged"  # 1 event in 2,000
CUSTOMERS = 10_000
CHUNK = 100_000


def load(total: int) -> str:
    """Fill the event log with `total` synthetic events; returns a description of the txids."""
    from django.db import connection, transaction

    from integration.models import Delivery, Event

    table = Event._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Delivery._meta.db_table}, {table} RESTART IDENTITY CASCADE")
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        xmin = cursor.fetchone()[0]
    # Plausible txids: increasing, a few events per transaction, all already visible.
    first_txid = 3
    per_tx = max(3, -(-total // (xmin - first_txid - 100)))
    types = "ARRAY[" + ", ".join(f"'{t}'" for t in TYPES) + "]"
    sql = f"""
        INSERT INTO {table} (uuid, type, version, occurred_at, txid, actor_type, actor_id,
                             actor_label, customer_id, subject_type, subject_id,
                             subject_version, data)
        SELECT gen_random_uuid(), r.type, 1,
               now() - make_interval(secs => (%(total)s - r.g) * 0.5),
               %(first_txid)s + (r.g - 1) / %(per_tx)s,
               'user', (1 + r.g %% 50)::text, 'user' || (1 + r.g %% 50),
               r.customer_id, split_part(r.type, '.', 1) || '.' || split_part(r.type, '.', 2),
               (1 + (hashint4(r.g) & 65535))::text, 1 + r.g / 1000,
               jsonb_build_object('id', r.g, 'name', 'Record ' || r.g, 'status', 'open',
                                  'amount', ((r.g %% 100000) / 100.0)::text, 'currency', 'EUR',
                                  'lines', r.g %% 7, 'customer_id', r.customer_id)
          FROM (  -- volatile random() in a select list: evaluated once per row
                SELECT g,
                       CASE WHEN random() < 0.0005 THEN '{RARE_TYPE}'
                            ELSE ({types})[1 + floor(power(random(), 2.2) * {len(TYPES)})::int]
                       END AS type,
                       CASE WHEN random() < 0.2 THEN NULL
                            ELSE 1 + floor(random() * {CUSTOMERS})::bigint
                       END AS customer_id
                  FROM generate_series(%(start)s, %(stop)s) AS g
               ) AS r
    """  # noqa: S608 - constants of this script, values as parameters
    started = time.perf_counter()
    for start in range(1, total + 1, CHUNK):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                sql,
                {
                    "total": total,
                    "first_txid": first_txid,
                    "per_tx": per_tx,
                    "start": start,
                    "stop": min(start + CHUNK - 1, total),
                },
            )
        print(f"  loaded {min(start + CHUNK - 1, total)} events", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))", [table])
        size = cursor.fetchone()[0]
    return (
        f"{total} events loaded in {time.perf_counter() - started:.0f} s ({size} with indexes); "
        f"txids {first_txid}..{first_txid + (total - 1) // per_tx}, {per_tx} events per txid"
    )


def api_token() -> str:
    from django.contrib.auth import get_user_model

    from integration.services import api_token_create

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    user.api_tokens.filter(name="feed benchmark").delete()  # an earlier run's
    _, raw = api_token_create(user=user, name="feed benchmark", scopes=["integration:read"])
    return raw


def cursor_of(txid: int, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{txid}.{seq}".encode()).decode()


def feed_sql(params: dict) -> str:
    """The SQL event_feed runs for these request parameters (captured from a real call)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from integration.api.events import decode_cursor
    from integration.selectors import event_feed

    with CaptureQueriesContext(connection) as queries:
        event_feed(
            after=decode_cursor(params["cursor"]) if "cursor" in params else None,
            limit=100,
            types=[params["type"]] if "type" in params else None,
            customer_id=params.get("customer"),
        )
    return queries.captured_queries[-1]["sql"]


def with_cursor_bound(sql: str, params: dict) -> str:
    """The suggested query: the same plus `txid >= <cursor's txid>`, which an index can use.

    `txid > a OR (txid = a AND seq > b)` is no index range, so PostgreSQL walks the commit
    order from the start and filters out every event before the cursor.
    """
    txid = int(base64.urlsafe_b64decode(params["cursor"]).decode().split(".")[0])
    head, _, tail = sql.partition(" ORDER BY ")
    return f'{head} AND "integration_event"."txid" >= {txid} ORDER BY {tail}'


def explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def sql_seconds(sql: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql)
        cursor.fetchall()
        return time.perf_counter() - started


def compare_sql(variants: dict, random_cursor, samples: int) -> None:
    """The feed's query and the suggested one, SQL only, at the same random cursors."""
    print(
        f"\nSQL only, {samples} random cursors per variant: the feed's query vs the same "
        "with `AND txid >= <cursor txid>` (suggested)"
    )
    for name, make in variants.items():
        now, suggested = [], []
        for _ in range(samples):
            params = {**make(), "cursor": random_cursor()}
            sql = feed_sql(params)
            now.append(sql_seconds(sql))
            suggested.append(sql_seconds(with_cursor_bound(sql, params)))
        ms = {
            label: (percentile(values, 50) * 1000, percentile(values, 95) * 1000)
            for label, values in (("now", now), ("suggested", suggested))
        }
        print(
            f"  {name:<32} now p50 {ms['now'][0]:7.1f} ms  p95 {ms['now'][1]:7.1f} ms   "
            f"suggested p50 {ms['suggested'][0]:5.1f} ms  p95 {ms['suggested'][1]:5.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="requests per variant")
    parser.add_argument("--reload", action="store_true", help="reload even if already loaded")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--sql-samples", type=int, default=30, help="cursors per variant for the SQL comparison"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    ensure_database()
    setup_django()
    from django.db import connection

    from integration.models import Event

    print(f"machine: {machine()}")
    present = Event.objects.count()
    if args.reload or present != args.events:
        print(load(args.events))
    else:
        print(f"{present} events already loaded (use --reload to load again)")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(seq) FROM {Event._meta.db_table}")  # noqa: S608 - our table
        max_seq = cursor.fetchone()[0]
    token = api_token()

    def random_cursor() -> str:
        txid, seq = (
            Event.objects.filter(seq__gte=rng.randint(1, max_seq))
            .order_by("seq")
            .values_list("txid", "seq")
            .first()
        )
        return cursor_of(txid, seq)

    variants = {
        "no filter": lambda: {},
        f"type={TYPES[1]}": lambda: {"type": TYPES[1]},
        f"type={RARE_TYPE} (rare)": lambda: {"type": RARE_TYPE},
        "type=sales.order.*": lambda: {"type": "sales.order.*"},
        "customer=<random>": lambda: {"customer": rng.randint(1, CUSTOMERS)},
    }
    plans = {name: {**make(), "cursor": random_cursor()} for name, make in variants.items()}
    connection.close()

    port = free_port()
    server = gunicorn(port, workers=2, TANDEM_API_RATE="1000000/min").start()
    url = f"http://127.0.0.1:{port}/api/v1/integration/events/"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def up() -> bool:
        try:
            return session.get(url, params={"page_size": 1}, timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_until(up, timeout=60, what="gunicorn answering", every=0.2)
        print(wait_for_quiet())
        print(
            f"scale: {args.requests} requests per variant, page_size=100, random cursors; "
            f"gunicorn config.wsgi --workers=2 on 127.0.0.1:{port}, one sequential client"
        )
        for _ in range(20):  # warm both workers
            session.get(url, params={"page_size": 100}, timeout=30)
        with Neighbours() as neighbours:
            for name, make in variants.items():
                timings = []
                rows = 0
                for _ in range(args.requests):
                    params = {**make(), "cursor": random_cursor(), "page_size": 100}
                    started = time.perf_counter()
                    response = session.get(url, params=params, timeout=30)
                    timings.append(time.perf_counter() - started)
                    response.raise_for_status()
                    rows += len(response.json()["results"])
                print(
                    f"{name:<34} p50 {percentile(timings, 50) * 1000:6.1f} ms  "
                    f"p95 {percentile(timings, 95) * 1000:6.1f} ms  "
                    f"p99 {percentile(timings, 99) * 1000:6.1f} ms  "
                    f"(mean {rows / args.requests:.0f} events per page)"
                )
        print(neighbours.report())
    finally:
        server.stop()

    print("\nEXPLAIN ANALYZE of one request per variant, as the feed runs it:")
    for name, params in plans.items():
        print(f"  {name}  {params}")
        print("\n".join("    " + line for line in explain(feed_sql(params))))
    print("\nThe same requests with the suggested `AND txid >= <cursor txid>` (plan heads):")
    for name, params in plans.items():
        plan = explain(with_cursor_bound(feed_sql(params), params))
        scans = [line.strip() for line in plan if "Scan" in line or "Index Cond" in line]
        print(f"  {name}: {plan[-1].strip()}")
        print("\n".join("    " + line for line in scans[:4]))
    compare_sql(variants, random_cursor, args.sql_samples)


if __name__ == "__main__":
    main()
