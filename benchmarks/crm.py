"""The CRM and the 360° view at scale: seeding, API and page latency, view rebuild speed.

    .venv/bin/python -m benchmarks.crm [--accounts 100000] [--events 1000000] [--clients 8]

1. Seeds `--accounts` scale accounts (3 contacts each, an opportunity every other one, an
   activity each, and their events) exactly as `seed_demo --scale N` does
   (crm.demo.seed_scale, in one transaction), unless the database already holds that
   many; prints how long it took. Then, if the log holds fewer than `--events` events,
   adds `crm.account.updated` events (a version bump of each account, the latest data
   again) in SQL until it does. VACUUM ANALYZE.
2. `manage.py rebuild_customer_view` over the whole log: events/s (the seed's own rebuild
   is skipped, so it runs once, at full size).
3. Starts gunicorn (`config.wsgi`, `--workers` sync workers) on a free loopback port and
   drives it with `--clients` threads, each with its own keep-alive connection:
   - GET /api/v1/integration/customers/<random id>/ for `--seconds`: p50/p95/p99, req/s;
   - the account list API, page_size=50: filtered by status; searched by a name (three
     words: full-text), by one word (trigram "contains"): a name's number (one match) or
     a word thousands of names share, and by a contact's e-mail; and `--depth` pages
     deep by following `next` cursors;
   - the 360° page /customers/<id>/ and the account list page /crm/accounts/ for a
     logged-in user (a session cookie).
   An endpoint that is not there (404 on its first request) is skipped with a message.
4. Counts the SQL queries of one request of each kind, in-process (django.test.Client
   and `connection.execute_wrapper`, no DEBUG), at two page sizes for the lists.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from benchmarks.common import (
    ROOT,
    Neighbours,
    bench_env,
    ensure_database,
    free_port,
    gunicorn,
    machine,
    percentile,
    setup_django,
    wait_for_quiet,
    wait_until,
)

USERNAME = "bench-crm"
EXTRA_CHUNK = 200_000  # extra events per transaction


# ---------------------------------------------------------------- loading


def wipe() -> None:
    """Empty the CRM (but its pipelines), the event log and the 360° view."""
    from django.apps import apps
    from django.db import connection

    crm = [
        m._meta.db_table
        for m in apps.get_app_config("crm").get_models(include_auto_created=True)
        if m.__name__ not in ("Pipeline", "Stage")
    ]
    integration = [
        m._meta.db_table
        for m in apps.get_app_config("integration").get_models()
        if m.__name__.startswith("Customer") or m.__name__ in ("Event", "Delivery")
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(crm + integration)} RESTART IDENTITY CASCADE")


def seed(accounts: int) -> None:
    from django.db import transaction

    from crm import demo as crm_demo
    from integration import demo as integration_demo

    def log(message: str) -> None:
        print(f"  {message}", flush=True)

    integration_demo.seed(scale=accounts, log=log)  # the owners: demo users per role
    started = time.perf_counter()
    with transaction.atomic():
        crm_demo.seed_scale(accounts, log=log, rebuild=False)
    print(f"seeded {accounts} accounts in {time.perf_counter() - started:.1f} s (committed)")


def add_events(target: int) -> None:
    """Top the log up to `target` events with account updates that change nothing.

    Each bumps the account's version (as account_update would) and repeats the account's
    newest data, so the view and the CRM tables still agree; each chunk is a transaction.
    """
    from django.db import connection, transaction

    from crm.demo import SCALE_TAX_PREFIX
    from integration.models import Event

    missing = target - Event.objects.count()
    if missing <= 0:
        return
    started = time.perf_counter()
    sql = """
        WITH bumped AS (
            UPDATE crm_account SET version = version + 1, updated_at = now()
             WHERE id IN (SELECT id FROM crm_account WHERE tax_id LIKE %(prefix)s
                          ORDER BY version, id LIMIT %(limit)s)
            RETURNING id, version
        )
        INSERT INTO integration_event (uuid, type, version, occurred_at, txid, actor_type,
                                       actor_id, actor_label, customer_id, subject_type,
                                       subject_id, subject_version, data)
        SELECT gen_random_uuid(), 'crm.account.updated', 1, now(),
               pg_current_xact_id()::text::bigint, 'system', '', '', b.id, 'crm.account',
               b.id::text, b.version, newest.data
          FROM bumped b
          CROSS JOIN LATERAL (
                SELECT e.data FROM integration_event e
                 WHERE e.subject_type = 'crm.account' AND e.subject_id = b.id::text
                 ORDER BY e.txid DESC, e.seq DESC LIMIT 1) AS newest
    """
    added = 0
    while added < missing:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                sql,
                {"prefix": f"{SCALE_TAX_PREFIX}%", "limit": min(EXTRA_CHUNK, missing - added)},
            )
            if cursor.rowcount <= 0:
                break
            added += cursor.rowcount
        print(f"  +{added} crm.account.updated events", flush=True)
    print(f"added {added} events in {time.perf_counter() - started:.1f} s")


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def warm() -> str:
    """Read every table and index into the operating system's cache (pg_prewarm, "read").

    A freshly loaded or restored database is read from disk by the first requests; on a
    slow disk that turns the first lines' tails into disk waits, not request costs.
    """
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute(
            """
            SELECT COALESCE(SUM(pg_prewarm(c.oid::regclass, 'read')), 0)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 't', 'm')
            """
        )
        (blocks,) = cursor.fetchone()
    megabytes = blocks * 8 / 1024
    return f"read {megabytes:,.0f} MB into the cache in {time.perf_counter() - started:.1f} s"


def rebuild() -> str:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "rebuild_customer_view"],
        cwd=ROOT,
        env=bench_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return f"{result.stdout.strip()} [wall {time.perf_counter() - started:.1f} s]"


# ---------------------------------------------------------------- load generation


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    # Deep-page runs: the latencies of the last tenth of the pages followed.
    deepest: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    missing: bool = False

    def line(self, name: str) -> str:
        if self.missing:
            return f"{name:<44} SKIPPED: the endpoint answered 404 (not built yet?)"
        ms = [percentile(self.latencies, p) * 1000 for p in (50, 95, 99)]
        rate = len(self.latencies) / self.seconds if self.seconds else 0
        errors = f"  ERRORS {len(self.errors)}: {self.errors[0]}" if self.errors else ""
        if self.deepest:
            deepest = percentile(self.deepest, 95) * 1000
            errors = f"  (deepest tenth of the pages: p95 {deepest:.1f} ms){errors}"
        return (
            f"{name:<44} p50 {ms[0]:6.1f} ms  p95 {ms[1]:6.1f} ms  p99 {ms[2]:6.1f} ms  "
            f"{rate:7.0f} req/s  ({len(self.latencies)} requests){errors}"
        )


class Client:
    """One keep-alive HTTP connection to the server."""

    def __init__(self, port: int, headers: dict[str, str]):
        self.port = port
        self.headers = headers
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()  # reconnect once (the server may have closed it)
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            body = response.read()
        return response.status, body, time.perf_counter() - started


def drive(
    port: int,
    headers: dict[str, str],
    job: Callable[[Client, random.Random, Result], None],
    *,
    clients: int,
    seconds: float,
    seed: int,
) -> Result:
    """`clients` threads run `job` repeatedly for `seconds`; latencies collected in Result."""
    result = Result()
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker(n: int) -> None:
        client = Client(port, headers)
        rng = random.Random(seed * 100 + n)
        own = Result()
        while time.perf_counter() < deadline and not own.missing:
            job(client, rng, own)
        with lock:
            result.latencies += own.latencies
            result.deepest += own.deepest
            result.errors += own.errors
            result.missing |= own.missing

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def fetch(client: Client, path: str, into: Result) -> bytes | None:
    status, body, seconds = client.get(path)
    if status == 404 and not into.latencies:
        into.missing = True
        return None
    into.latencies.append(seconds)
    if status != 200:
        into.errors.append(f"{status} for {path}: {body[:120]!r}")
        return None
    return body


def single(make_path: Callable[[random.Random], str]):
    def job(client: Client, rng: random.Random, into: Result) -> None:
        fetch(client, make_path(rng), into)

    return job


def deep(first_path: str, depth: int):
    """Follow `next` from the first page `depth` pages deep; every page is timed."""

    def job(client: Client, rng: random.Random, into: Result) -> None:
        path = first_path
        for page in range(depth):
            body = fetch(client, path, into)
            if body is None:
                return
            if page >= depth - max(1, depth // 10):
                into.deepest.append(into.latencies[-1])
            link = json.loads(body).get("next")
            if not link:
                return
            parts = urlsplit(link)
            path = f"{parts.path}?{parts.query}"

    return job


# ---------------------------------------------------------------- in-process query counts


def query_counts(paths: dict[str, str], *, token: str, user) -> list[str]:
    """SQL queries of one request per path (after one warm-up request), no DEBUG needed."""
    from django.db import connection
    from django.test import Client as DjangoClient

    api = DjangoClient(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    pages = DjangoClient(HTTP_HOST="127.0.0.1")
    pages.force_login(user)
    lines = []
    for name, path in paths.items():
        client = api if path.startswith("/api/") else pages
        client.get(path)  # warm caches (content types, permissions) as a server would be
        count = [0]

        def counter(execute, sql, params, many, context, count=count):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            status = client.get(path).status_code
        lines.append(f"  {name:<52} {count[0]:3d} queries  (HTTP {status})")
    return lines


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000, help="at least this many")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seconds", type=float, default=20, help="per measurement")
    parser.add_argument("--depth", type=int, default=100, help="pages followed by `next`")
    parser.add_argument("--reload", action="store_true", help="wipe and seed again")
    parser.add_argument("--skip-rebuild", action="store_true", help="keep the current view")
    parser.add_argument(
        "--patience", type=float, default=600, help="seconds to wait for a quiet machine"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    ensure_database()
    setup_django()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from crm.demo import SCALE_TAX_PREFIX
    from crm.models import Account, Contact
    from integration.models import Event
    from integration.roles import sync_roles
    from integration.services import api_token_create

    # This process's own requests (query counts) would log every request line.
    logging.disable(logging.INFO)

    print(f"machine: {machine()}")
    loaded = Account.objects.filter(tax_id__startswith=SCALE_TAX_PREFIX).count()
    rebuild_needed = not args.skip_rebuild
    if args.reload or loaded != args.accounts:
        wipe()
        print(wait_for_quiet(patience=args.patience))
        seed(args.accounts)
        rebuild_needed = True
    else:
        print(f"{loaded} scale accounts already loaded (use --reload to load again)")
    add_events(args.events)
    analyze()
    events = Event.objects.count()
    print(
        f"scale: {Account.objects.count()} accounts, {Contact.objects.count()} contacts, "
        f"{events} events"
    )
    if rebuild_needed:
        print(wait_for_quiet(patience=args.patience))
        print(f"rebuild_customer_view over {events} events: {rebuild()}")

    print(f"warm-up: {warm()}")

    # A manager (reads everything) rather than a superuser, who would have to set up MFA.
    sync_roles()
    user, _ = get_user_model().objects.update_or_create(
        username=USERNAME, defaults={"is_superuser": False, "is_staff": False}
    )
    user.groups.set([Group.objects.get(name="Manager")])
    user.api_tokens.filter(name="crm benchmark").delete()  # an earlier run's
    _, token = api_token_create(
        user=user, name="crm benchmark", scopes=["crm:read", "integration:read"]
    )
    ids = list(Account.objects.values_list("id", flat=True))
    picked = rng.sample(ids, min(500, len(ids)))
    # Names as people type them: without the legal form ("Kaleva Timber 1234").
    names = [
        " ".join(name.split()[:3])
        for name in Account.objects.filter(pk__in=picked).values_list("name", flat=True)
    ]
    # One word as people type it: the number that sets a scale account's name apart (one
    # match), or a word that thousands of names share ("Data", "Marine": an industry).
    numbers = [word for name in names for word in name.split() if word.isdigit()]
    common = sorted({name.split()[1] for name in names if len(name.split()) > 1})
    # A name's first word ("Nordic"): its matches cluster in name order, and its contacts'
    # e-mail domains start with it too.
    firsts = sorted({name.split()[0] for name in names})
    emails = list(
        Contact.objects.filter(account_id__in=picked, email__contains="@")
        .values_list("email", flat=True)
        .distinct()[:500]
    )

    api = "/api/v1/crm/accounts/"

    def search(term: str, size: int = 50, **more: str) -> str:
        return f"{api}?" + urlencode({"page_size": size, "search": term, **more})

    def by_name(term: str) -> str:
        return search(term, ordering="name")

    paths = {
        "GET customers/<id>/ (360° API)": f"/api/v1/integration/customers/{ids[0]}/",
        "GET crm/accounts/?status=active": f"{api}?page_size=50&status=active",
        "GET crm/accounts/?status=active page_size=10": f"{api}?page_size=10&status=active",
        "GET crm/accounts/?search=<name>": search(names[0]),
        "GET crm/accounts/?search=<name> page_size=10": search(names[0], 10),
        "GET crm/accounts/?search=<number>": search(numbers[0]),
        "GET crm/accounts/?search=<common word>": search(common[0]),
        "GET crm/accounts/?search=<common word>&ordering=name": by_name(common[0]),
        "GET crm/accounts/?search=<first word>&ordering=name": by_name(firsts[0]),
        "GET crm/accounts/?search=<e-mail>": search(emails[0]),
        "GET crm/accounts/ (no filter)": f"{api}?page_size=50",
        "GET crm/accounts/ (no filter) page_size=10": f"{api}?page_size=10",
        "page /customers/<id>/": f"/customers/{ids[0]}/",
        "page /crm/accounts/": "/crm/accounts/",
        "page /crm/accounts/?q=<common word>": f"/crm/accounts/?q={common[0]}",
    }
    print("\nSQL queries per request (in-process, one request after a warm-up):")
    print("\n".join(query_counts(paths, token=token, user=user)))
    from django.test import Client as DjangoClient

    browser = DjangoClient(HTTP_HOST="127.0.0.1")
    browser.force_login(user)
    session = browser.cookies["sessionid"].value
    from django.db import connection

    connection.close()

    port = free_port()
    server = gunicorn(port, workers=args.workers, TANDEM_API_RATE="100000000/min").start()
    bearer = {"Authorization": f"Bearer {token}"}
    cookie = {"Cookie": f"sessionid={session}"}

    def up() -> bool:
        try:
            return Client(port, {}).get("/healthz")[0] == 200
        except OSError:
            return False

    active = f"{api}?page_size=50&status=active"
    measurements = [
        (
            "customer API GET /customers/<random id>/",
            bearer,
            single(lambda r: f"/api/v1/integration/customers/{r.choice(ids)}/"),
        ),
        ("account list ?status=active", bearer, single(lambda r: active)),
        ("account list ?search=<name>", bearer, single(lambda r: search(r.choice(names)))),
        ("account list ?search=<number>", bearer, single(lambda r: search(r.choice(numbers)))),
        (
            "account list ?search=<common word>",
            bearer,
            single(lambda r: search(r.choice(common))),
        ),
        (
            "account list ?search=<common word>&ordering=name",
            bearer,
            single(lambda r: by_name(r.choice(common))),
        ),
        (
            "account list ?search=<first word>&ordering=name",
            bearer,
            single(lambda r: by_name(r.choice(firsts))),
        ),
        (
            "account list ?search=<contact e-mail>",
            bearer,
            single(lambda r: search(r.choice(emails))),
        ),
        (f"account list, {args.depth} pages deep", bearer, deep(f"{api}?page_size=50", args.depth)),
        (f"?status=active, {args.depth} pages deep", bearer, deep(active, args.depth)),
        ("page /customers/<random id>/", cookie, single(lambda r: f"/customers/{r.choice(ids)}/")),
        ("page /crm/accounts/", cookie, single(lambda r: "/crm/accounts/")),
        (
            "page /crm/accounts/?q=<common word>",
            cookie,
            single(lambda r: "/crm/accounts/?" + urlencode({"q": r.choice(common)})),
        ),
    ]
    try:
        wait_until(up, timeout=60, what="gunicorn answering", every=0.2)
        for _ in range(50):  # warm every worker
            Client(port, bearer).get(f"/api/v1/integration/customers/{rng.choice(ids)}/")
        print(f"\n{wait_for_quiet(patience=args.patience)}")
        print(
            f"load: {args.clients} concurrent clients (threads, keep-alive), {args.seconds:.0f} s "
            f"per line; gunicorn config.wsgi --workers={args.workers} on 127.0.0.1:{port}"
        )
        with Neighbours() as neighbours:
            for n, (name, headers, job) in enumerate(measurements):
                result = drive(
                    port, headers, job, clients=args.clients, seconds=args.seconds, seed=n
                )
                print(result.line(name), flush=True)
        print(neighbours.report())
    finally:
        server.stop()


if __name__ == "__main__":
    main()
