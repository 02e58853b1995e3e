"""Webhook subscriptions through the API (and admin): secret shown once, validation, access."""

import re

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from integration.models import WebhookSubscription
from integration.services import api_token_create
from integration.webhooks import webhook_subscription_create

pytestmark = pytest.mark.django_db

WEBHOOKS = "/api/v1/integration/webhooks/"
URL = "http://127.0.0.1:9/hook"  # private addresses are allowed in the test settings


def bearer(user, scopes=("*",)) -> APIClient:
    _, raw = api_token_create(user=user, name="t", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def admin(make_user):
    return make_user(roles=["Admin"])


@pytest.fixture
def api(admin) -> APIClient:
    return bearer(admin, ["integration:write"])


def make_subscription(url=URL, event_types=("bustest.item.*",), **fields) -> WebhookSubscription:
    subscription, _ = webhook_subscription_create(url=url, event_types=list(event_types))
    if fields:
        WebhookSubscription.objects.filter(pk=subscription.pk).update(**fields)
        subscription.refresh_from_db()
    return subscription


def test_create_without_a_secret_returns_a_generated_one_only_in_that_answer(api, admin):
    response = api.post(
        WEBHOOKS,
        {"url": URL, "event_types": ["bustest.item.*", "bustest.flaky.happened"]},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    assert body["event_types"] == ["bustest.item.*", "bustest.flaky.happened"]
    assert body["status"] == "active"
    assert response["Location"].endswith(f"{WEBHOOKS}{body['id']}/")
    subscription = WebhookSubscription.objects.get(pk=body["id"])
    assert subscription.secret == secret
    assert subscription.created_by == admin
    detail = api.get(f"{WEBHOOKS}{body['id']}/")
    listing = api.get(WEBHOOKS)
    assert "secret" not in detail.json()
    assert secret not in detail.content.decode()
    assert secret not in listing.content.decode()


def test_create_with_a_secret_uses_it(api):
    response = api.post(
        WEBHOOKS,
        {"url": URL, "event_types": ["*"], "secret": "my own secret of enough length"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["secret"] == "my own secret of enough length"
    assert WebhookSubscription.objects.get().secret == "my own secret of enough length"


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"url", "event_types"}),
        ({"url": URL, "event_types": []}, {"event_types"}),
        ({"url": URL, "event_types": "bustest.item.*"}, {"event_types"}),
        ({"url": URL, "event_types": ["*"], "secret": "short"}, {"secret"}),
        (
            {"url": "ftp://example.com/x", "event_types": ["bustest.nope.gone"]},
            {"url", "event_types"},
        ),
        ({"url": "not a url", "event_types": ["Bad Pattern!"]}, {"url", "event_types"}),
        ({"url": "https://user:pw@example.com/", "event_types": ["*"]}, {"url"}),
    ],
)
def test_bad_input_is_400_with_a_message_per_field(api, payload, fields):
    response = api.post(WEBHOOKS, payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert fields <= set(body), body
    assert all(body[field] and all(isinstance(m, str) for m in body[field]) for field in fields)
    assert not WebhookSubscription.objects.exists()


def test_an_unregistered_type_is_refused_but_a_pattern_is_accepted(api):
    refused = api.post(WEBHOOKS, {"url": URL, "event_types": ["bustest.item.gone"]}, format="json")
    accepted = api.post(WEBHOOKS, {"url": URL, "event_types": ["nothing.yet.*"]}, format="json")

    assert refused.status_code == 400
    assert "'bustest.item.gone' is not a registered event type" in refused.json()["event_types"][0]
    assert accepted.status_code == 201


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8000/hook", "loopback"),
        ("http://localhost:8000/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://224.0.0.1/hook", "multicast"),
    ],
)
def test_a_non_public_address_is_refused_when_private_addresses_are_not_allowed(
    api, settings, url, kind
):
    settings.TANDEM_WEBHOOKS_ALLOW_PRIVATE = False

    response = api.post(WEBHOOKS, {"url": url, "event_types": ["*"]}, format="json")

    assert response.status_code == 400
    assert f"a {kind} address" in response.json()["url"][0]
    assert not WebhookSubscription.objects.exists()


def test_a_private_address_is_accepted_when_allowed(api, settings):
    settings.TANDEM_WEBHOOKS_ALLOW_PRIVATE = True

    response = api.post(WEBHOOKS, {"url": "http://10.1.2.3/hook", "event_types": ["*"]})

    assert response.status_code == 201


def test_a_sales_user_is_refused_even_with_every_scope(make_user):
    client = bearer(make_user(roles=["Sales"]), ["*"])
    make_subscription()

    assert client.get(WEBHOOKS).status_code == 403
    response = client.post(WEBHOOKS, {"url": URL, "event_types": ["*"]}, format="json")
    assert response.status_code == 403
    assert WebhookSubscription.objects.count() == 1


def test_a_token_without_the_integration_scope_is_refused(admin):
    client = bearer(admin, ["crm:read"])

    response = client.get(WEBHOOKS)

    assert response.status_code == 403
    assert "integration:read" in response.json()["detail"]


def test_a_read_scope_cannot_write(admin):
    client = bearer(admin, ["integration:read"])
    subscription = make_subscription()

    assert client.get(WEBHOOKS).status_code == 200
    assert client.post(f"{WEBHOOKS}{subscription.pk}/disable/").status_code == 403
    assert client.delete(f"{WEBHOOKS}{subscription.pk}/").status_code == 403


def test_update_partially_and_fully(api):
    subscription = make_subscription(description="ERP")

    patched = api.patch(
        f"{WEBHOOKS}{subscription.pk}/", {"event_types": ["bustest.*"]}, format="json"
    )
    put = api.put(
        f"{WEBHOOKS}{subscription.pk}/",
        {"url": "http://127.0.0.1:10/new", "event_types": ["*"]},
        format="json",
    )
    bad = api.patch(f"{WEBHOOKS}{subscription.pk}/", {"url": "gopher://x"}, format="json")

    assert patched.status_code == 200
    assert patched.json()["event_types"] == ["bustest.*"]
    assert patched.json()["description"] == "ERP"
    assert put.status_code == 200
    assert (put.json()["url"], put.json()["event_types"], put.json()["description"]) == (
        "http://127.0.0.1:10/new",
        ["*"],
        "",
    )
    assert bad.status_code == 400
    assert "url" in bad.json()
    subscription.refresh_from_db()
    assert subscription.url == "http://127.0.0.1:10/new"


def test_disable_then_enable_clears_the_failures_and_reason(api, admin):
    subscription = make_subscription(consecutive_failures=4, failing_since=timezone.now())

    disabled = api.post(f"{WEBHOOKS}{subscription.pk}/disable/")
    enabled = api.post(f"{WEBHOOKS}{subscription.pk}/enable/")

    assert disabled.status_code == 200
    assert disabled.json()["status"] == "disabled"
    assert disabled.json()["disabled_reason"] == (
        f"Disabled through the API by {admin.get_username()}."
    )
    assert enabled.status_code == 200
    body = enabled.json()
    assert (body["active"], body["status"], body["consecutive_failures"]) == (True, "active", 0)
    assert (body["disabled_reason"], body["disabled_at"], body["failing_since"]) == ("", None, None)


def test_rotate_secret_returns_the_new_one_once(api):
    subscription = make_subscription()
    old = subscription.secret

    generated = api.post(f"{WEBHOOKS}{subscription.pk}/rotate-secret/")
    chosen = api.post(
        f"{WEBHOOKS}{subscription.pk}/rotate-secret/",
        {"secret": "a chosen secret, long enough"},
        format="json",
    )

    assert generated.status_code == 200
    assert generated.json()["secret"] not in (old, "")
    assert chosen.json()["secret"] == "a chosen secret, long enough"
    subscription.refresh_from_db()
    assert subscription.secret == "a chosen secret, long enough"


def test_delete(api):
    subscription = make_subscription()

    assert api.delete(f"{WEBHOOKS}{subscription.pk}/").status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_list_filters_and_search(api):
    healthy = make_subscription(url="http://127.0.0.1:1/erp", description="ERP")
    failing = make_subscription(url="http://127.0.0.1:2/crm", consecutive_failures=2)
    disabled = make_subscription(url="http://127.0.0.1:3/bi", active=False)

    def ids(**query):
        return {s["id"] for s in api.get(WEBHOOKS, query).json()["results"]}

    assert ids() == {healthy.pk, failing.pk, disabled.pk}
    assert ids(active="false") == {disabled.pk}
    assert ids(status="failing") == {failing.pk}
    assert ids(status="active") == {healthy.pk}
    assert ids(search="erp") == {healthy.pk}
    assert api.get(WEBHOOKS, {"status": "nonsense"}).status_code == 400


def test_list_queries_do_not_grow_with_the_page_size(api, django_assert_max_num_queries):
    for port in range(1, 13):
        make_subscription(url=f"http://127.0.0.1:{port}/hook")

    for size in (2, 12):
        with django_assert_max_num_queries(8):
            response = api.get(WEBHOOKS, {"page_size": size})
        assert len(response.json()["results"]) == size


# ---------------------------------------------------------------- admin


@pytest.fixture
def admin_site(make_user, settings) -> Client:
    settings.TANDEM_MFA_REQUIRED_ROLES = []
    client = Client()
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))
    return client


def test_admin_creates_a_subscription_and_shows_its_secret_once(admin_site):
    response = admin_site.post(
        "/admin/integration/webhooksubscription/add/",
        {"url": URL, "event_types": "bustest.item.*\nbustest.flaky.*", "description": "BI"},
    )

    assert response.status_code == 200
    secret = re.search(r'class="webhook-secret"[^>]*>([^<]+)<', response.content.decode()).group(1)
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret == secret
    assert subscription.event_types == ["bustest.item.*", "bustest.flaky.*"]
    change = admin_site.get(f"/admin/integration/webhooksubscription/{subscription.pk}/change/")
    assert change.status_code == 200
    assert secret not in change.content.decode()


def test_admin_shows_validation_errors_and_writes_nothing(admin_site, settings):
    settings.TANDEM_WEBHOOKS_ALLOW_PRIVATE = False

    response = admin_site.post(
        "/admin/integration/webhooksubscription/add/",
        {"url": "http://127.0.0.1/x", "event_types": "bustest.item.gone"},
    )

    html = response.content.decode()
    assert "a loopback address" in html
    assert "is not a registered event type" in html
    assert not WebhookSubscription.objects.exists()


def test_admin_lists_the_disabled_reason_and_enables(admin_site):
    subscription = make_subscription(
        active=False,
        disabled_reason="Disabled after 20 failed attempts",
        disabled_at=timezone.now(),
    )

    listing = admin_site.get("/admin/integration/webhooksubscription/?active__exact=0")
    admin_site.post(
        "/admin/integration/webhooksubscription/",
        {"action": "enable", "_selected_action": [subscription.pk]},
    )

    assert "Disabled after 20 failed attempts" in listing.content.decode()
    subscription.refresh_from_db()
    assert subscription.active
    assert subscription.disabled_reason == ""


def test_admin_regenerates_a_secret_and_shows_it_once(admin_site):
    subscription = make_subscription()
    old = subscription.secret

    response = admin_site.post(
        "/admin/integration/webhooksubscription/",
        {"action": "regenerate_secret", "_selected_action": [subscription.pk]},
    )

    subscription.refresh_from_db()
    assert subscription.secret != old
    assert subscription.secret in response.content.decode()


def test_admin_edits_through_the_service(admin_site):
    subscription = make_subscription()

    response = admin_site.post(
        f"/admin/integration/webhooksubscription/{subscription.pk}/change/",
        {"url": "http://127.0.0.1:5/new", "event_types": "*", "description": "all"},
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.url, subscription.event_types) == ("http://127.0.0.1:5/new", ["*"])


def test_admin_lists_deliveries_and_attempts(admin_site):
    for path in ("webhookdelivery", "webhookattempt"):
        assert admin_site.get(f"/admin/integration/{path}/").status_code == 200


def test_bad_items_of_event_types_are_flat_messages(api):
    response = api.post(
        WEBHOOKS, {"url": URL, "event_types": ["ok.*", "x" * 101, "a\x00b"]}, format="json"
    )

    assert response.status_code == 400
    messages = response.json()["event_types"]
    assert len(messages) == 2
    assert all(isinstance(m, str) for m in messages)
    assert messages[0].startswith("Item 1:")


def test_webhook_detail_has_an_etag_and_a_stale_if_match_changes_nothing(make_user):
    _, raw = api_token_create(user=make_user(roles=["Admin"]), name="t", scopes=["*"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    created = client.post(
        "/api/v1/integration/webhooks/",
        {"url": "https://example.com/hook", "event_types": ["bustest.item.*"]},
        format="json",
    ).json()
    url = f"/api/v1/integration/webhooks/{created['id']}/"
    etag = client.get(url)["ETag"]

    fresh = client.patch(url, {"description": "v2"}, format="json", HTTP_IF_MATCH=etag)
    stale = client.patch(url, {"description": "v3"}, format="json", HTTP_IF_MATCH=etag)

    assert fresh.status_code == 200
    assert fresh["ETag"] != etag
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert client.get(url).json()["description"] == "v2"
    assert client.get(url, HTTP_IF_NONE_MATCH=fresh["ETag"]).status_code == 304
