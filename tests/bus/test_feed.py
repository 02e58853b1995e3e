"""The event feed and catalogue: commit order, filters, cursors, and no gaps under writes."""

import random
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from rest_framework.test import APIClient

from integration.events import Subject, publish
from integration.models import Event
from integration.services import api_token_create

FEED = "/api/v1/integration/events/"


def client_for(user, scopes=("*",)) -> APIClient:
    _, raw = api_token_create(user=user, name="feed", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def publish_item(key: str, value: int, *, customer_id: int | None = None, actor=None) -> Event:
    with transaction.atomic():
        return publish(
            "bustest.item.changed",
            subject=Subject("busapp.item", key, value),
            data={"value": value},
            customer_id=customer_id,
            actor=actor,
        )


def read_all(client: APIClient, **params) -> tuple[list[dict], str]:
    items, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = client.get(FEED, query).json()
        items += body["results"]
        if not body["results"]:
            return items, body["next"]
        cursor = body["next"]


def wait_for_feed(client: APIClient, count: int) -> None:
    """The feed holds events back while any older transaction on the server is open
    (other tests' included): wait until the ones this test committed are out."""
    deadline = time.monotonic() + 30
    while len(read_all(client)[0]) < count:
        assert time.monotonic() < deadline, f"the feed never showed {count} events"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_feed_items_have_the_documented_shape_and_filters(make_user):
    user = make_user(username="ada", roles=["Admin"])
    client = client_for(user)
    first = publish_item("a", 1, customer_id=42, actor=user)
    publish_item("b", 2, customer_id=7)
    publish_item("a", 3, customer_id=42)
    wait_for_feed(client, 3)

    items, _ = read_all(client)

    assert [i["id"] for i in items][:1] == [str(first.uuid)]
    assert items[0] == {
        "id": str(first.uuid),
        "type": "bustest.item.changed",
        "version": 1,
        "occurred_at": items[0]["occurred_at"],
        "customer_id": 42,
        "subject": {"type": "busapp.item", "id": "a", "version": 1},
        "actor": {"type": "user", "id": str(user.pk), "label": "ada"},
        "data": {"value": 1},
    }
    assert [i["data"]["value"] for i in read_all(client, customer=42)[0]] == [1, 3]
    assert [i["data"]["value"] for i in read_all(client, subject="busapp.item:b")[0]] == [2]
    assert len(read_all(client, type="bustest.item.*")[0]) == 3
    assert read_all(client, type="crm.account.*")[0] == []


@pytest.mark.django_db(transaction=True)
def test_feed_pages_follow_the_cursor_and_an_empty_page_keeps_it(make_user):
    client = client_for(make_user(roles=["Admin"]))
    for i in range(5):
        publish_item("k", i)
    wait_for_feed(client, 5)

    page1 = client.get(FEED, {"page_size": 2}).json()
    page2 = client.get(FEED, {"page_size": 2, "cursor": page1["next"]}).json()
    page3 = client.get(FEED, {"page_size": 2, "cursor": page2["next"]}).json()
    empty = client.get(FEED, {"page_size": 2, "cursor": page3["next"]}).json()
    publish_item("k", 5)
    wait_for_feed(client, 6)
    later = client.get(FEED, {"page_size": 2, "cursor": empty["next"]}).json()

    values = [i["data"]["value"] for p in (page1, page2, page3) for i in p["results"]]
    assert values == [0, 1, 2, 3, 4]
    assert empty["results"] == []
    assert empty["next"] == page3["next"]
    assert [i["data"]["value"] for i in later["results"]] == [5]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"page_size": 0}, "page_size"),
        ({"customer": "x"}, "customer"),
        ({"subject": "no-colon"}, "subject"),
        ({"occurred_after": "yesterday"}, "occurred_after"),
    ],
)
def test_feed_bad_parameters_are_400_naming_the_field(make_user, params, field):
    response = client_for(make_user(roles=["Admin"])).get(FEED, params)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_feed_needs_the_scope_and_the_permission(make_user):
    assert client_for(make_user(roles=["Admin"]), ["crm:read"]).get(FEED).status_code == 403
    assert client_for(make_user(roles=["Sales"])).get(FEED).status_code == 403
    assert (
        client_for(make_user(roles=["Manager"]), ["integration:read"]).get(FEED).status_code == 200
    )


@pytest.mark.django_db
def test_event_type_catalogue_lists_schemas(make_user):
    response = client_for(make_user(roles=["Sales"]), ["integration:read"]).get(
        "/api/v1/integration/event-types/"
    )

    assert response.status_code == 200
    # The test fixtures' types are not part of Tandem's public catalogue.
    assert all(not t["name"].startswith("bustest.") for t in response.json())


def test_docs_events_md_is_current():
    call_command("events_doc", "--check")


@pytest.mark.django_db(transaction=True)
def test_a_poller_sees_every_event_exactly_once_while_writers_commit_out_of_order(make_user):
    # Given writers whose transactions commit in a different order than they started,
    # some holding their event uncommitted for a while
    client = client_for(make_user(roles=["Admin"]))
    written: list[str] = []
    lock = threading.Lock()

    def writer(offset: int) -> None:
        rng = random.Random(offset)
        for i in range(40):
            with transaction.atomic():
                event = publish(
                    "bustest.item.changed",
                    subject=Subject("busapp.item", f"w{offset}", i),
                    data={"value": offset * 1000 + i},
                )
                time.sleep(rng.choice([0, 0, 0, 0.005, 0.03]))
            with lock:
                written.append(str(event.uuid))
        connection.close()

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in writers:
        thread.start()

    # When a client polls the feed with its cursor the whole time
    seen: list[str] = []
    cursor = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = client.get(FEED, {"page_size": 7, **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["id"] for item in body["results"]]
        cursor = body["next"]
        if not any(t.is_alive() for t in writers) and len(seen) >= 120:
            break
        time.sleep(0.01)

    # Then it saw each event once: nothing skipped behind its cursor, nothing repeated
    for thread in writers:
        thread.join()
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(written)
