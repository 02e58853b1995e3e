"""Idempotent POSTs: the same Idempotency-Key and body replay the answer, work done once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from integration.models import ApiToken, IdempotencyKey
from integration.services import api_token_create
from integration.tasks import purge_idempotency_keys

pytestmark = pytest.mark.django_db

URLS = pytest.mark.urls("tests.integration.idempotency_urls")
TOKENS = "/api/v1/test-idempotency/tokens/"
SLOW_TOKENS = "/api/v1/test-idempotency/slow-tokens/"
BROKEN = "/api/v1/test-idempotency/broken/"
PUBLIC = "/api/v1/test-idempotency/public/"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def post(client: APIClient, url: str, key: str, data: dict | None = None, **extra):
    return client.post(url, data or {}, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def created(name: str) -> int:
    return ApiToken.objects.filter(name=name).count()


@pytest.fixture
def admin_token(make_user):
    return api_token_create(user=make_user(roles=["Admin"]), name="caller", scopes=["*"])


@pytest.fixture
def client(admin_token) -> APIClient:
    return bearer(admin_token[1])


@URLS
def test_same_key_and_body_replays_the_answer_and_does_the_work_once(client):
    first = post(client, TOKENS, "k-1", {"name": "erp"})
    second = post(client, TOKENS, "k-1", {"name": "erp"})

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["Location"] == first.headers["Location"]
    assert created("erp") == 1


def test_replayed_revoke_action_returns_the_stored_token(client, make_user):
    target, _ = api_token_create(user=make_user(), name="target", scopes=["*"])
    url = f"/api/v1/integration/api-tokens/{target.pk}/revoke/"

    first = post(client, url, "revoke-1")
    second = post(client, url, "revoke-1")

    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    target.refresh_from_db()
    assert second.json()["revoked_at"] == first.json()["revoked_at"]
    assert first.json()["revoked_at"] is not None
    assert target.revoked_at is not None


def test_post_without_a_key_is_not_recorded(client, make_user):
    target, _ = api_token_create(user=make_user(), name="target", scopes=["*"])

    response = client.post(f"/api/v1/integration/api-tokens/{target.pk}/revoke/")

    assert response.status_code == 200
    assert not IdempotencyKey.objects.exists()


@URLS
def test_same_key_with_another_body_is_422_and_changes_nothing(client):
    post(client, TOKENS, "k-1", {"name": "erp"})

    response = post(client, TOKENS, "k-1", {"name": "crm"})

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert response.json()["detail"]
    assert "Idempotent-Replayed" not in response.headers
    assert created("crm") == 0
    assert created("erp") == 1


@URLS
def test_same_key_on_another_path_is_422(client):
    post(client, TOKENS, "k-1", {"name": "erp"})

    response = post(client, SLOW_TOKENS, "k-1", {"name": "erp"})

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert created("erp") == 1


@URLS
def test_client_errors_are_stored_and_replayed(client):
    first = post(client, TOKENS, "k-blank", {"name": " "})
    second = post(client, TOKENS, "k-blank", {"name": " "})

    assert first.status_code == second.status_code == 400
    assert second.json() == first.json()
    assert first.json()["code"] == "invalid"
    assert second.headers["Idempotent-Replayed"] == "true"


@URLS
def test_each_token_has_its_own_keys(admin_token, make_user):
    _, other_raw = api_token_create(user=admin_token[0].user, name="other", scopes=["*"])

    one = post(bearer(admin_token[1]), TOKENS, "shared", {"name": "erp"})
    two = post(bearer(other_raw), TOKENS, "shared", {"name": "erp"})

    assert one.status_code == two.status_code == 201
    assert "Idempotent-Replayed" not in two.headers
    assert one.json()["id"] != two.json()["id"]
    assert created("erp") == 2


@URLS
def test_a_session_user_and_a_token_of_that_user_have_separate_keys(make_user):
    # (a Sales user: Admin sessions need two-factor set up first in services mode)
    user = make_user(roles=["Sales"])
    _, raw = api_token_create(user=user, name="caller", scopes=["*"])
    session = APIClient()
    session.force_login(user)

    by_token = post(bearer(raw), TOKENS, "shared", {"name": "erp"})
    by_session = post(session, TOKENS, "shared", {"name": "erp"})
    again = post(session, TOKENS, "shared", {"name": "erp"})

    assert by_token.status_code == by_session.status_code == 201
    assert by_session.json()["id"] != by_token.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == by_session.json()
    assert created("erp") == 2


@URLS
def test_a_session_post_failing_csrf_is_refused_and_not_recorded(make_user):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(make_user(roles=["Sales"]))

    response = post(session, TOKENS, "k-1", {"name": "erp"})

    assert response.status_code == 403
    assert not IdempotencyKey.objects.exists()
    assert created("erp") == 0


@URLS
def test_anonymous_callers_are_told_apart_by_address():
    anonymous = APIClient()

    first = post(anonymous, PUBLIC, "k-1", REMOTE_ADDR="192.0.2.1")
    replay = post(anonymous, PUBLIC, "k-1", REMOTE_ADDR="192.0.2.1")
    elsewhere = post(anonymous, PUBLIC, "k-1", REMOTE_ADDR="192.0.2.2")

    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert elsewhere.json() != first.json()
    assert "Idempotent-Replayed" not in elsewhere.headers


@URLS
def test_refused_credentials_are_answered_by_the_view_and_not_recorded(make_user):
    token, raw = api_token_create(user=make_user(), name="gone", scopes=["*"])
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    response = post(bearer(raw), TOKENS, "k-1", {"name": "erp"})

    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


@URLS
def test_an_expired_key_is_new_again(client):
    post(client, TOKENS, "k-1", {"name": "erp"})
    past = timezone.now() - timedelta(hours=25)
    IdempotencyKey.objects.update(created_at=past, expires_at=past + timedelta(hours=24))

    response = post(client, TOKENS, "k-1", {"name": "crm"})

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert created("crm") == 1
    record = IdempotencyKey.objects.get()
    assert record.expires_at > timezone.now() + timedelta(hours=23)


@URLS
def test_keys_expire_after_the_configured_hours(client, settings):
    settings.TANDEM_IDEMPOTENCY_TTL_HOURS = 2

    post(client, TOKENS, "k-1", {"name": "erp"})

    record = IdempotencyKey.objects.get()
    assert record.expires_at - record.created_at == timedelta(hours=2)
    assert record.principal.startswith("token:")
    assert (record.method, record.path) == ("POST", TOKENS)
    assert len(record.request_hash) == 64
    assert (record.status, record.response_status) == ("done", 201)


@URLS
def test_a_server_error_releases_the_key(client):
    client.raise_request_exception = False

    first = post(client, BROKEN, "k-1")
    second = post(client, BROKEN, "k-1")

    assert first.status_code == second.status_code == 500
    assert "Idempotent-Replayed" not in second.headers
    assert not IdempotencyKey.objects.exists()


@URLS
def test_a_key_longer_than_255_characters_is_400(client):
    response = post(client, TOKENS, "k" * 256, {"name": "erp"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"]
    assert body["Idempotency-Key"]
    assert created("erp") == 0


@URLS
def test_a_key_of_255_characters_is_accepted(client):
    response = post(client, TOKENS, "k" * 255, {"name": "erp"})

    assert response.status_code == 201


@URLS
def test_other_methods_ignore_the_header(client):
    response = client.get("/api/v1/me/", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 200
    assert not IdempotencyKey.objects.exists()


def test_purge_deletes_only_expired_keys():
    now = timezone.now()
    fields = {"principal": "user:1", "method": "POST", "path": TOKENS, "request_hash": "0" * 64}
    IdempotencyKey.objects.create(key="old", expires_at=now - timedelta(minutes=1), **fields)
    IdempotencyKey.objects.create(key="new", expires_at=now + timedelta(hours=1), **fields)

    assert purge_idempotency_keys() == 1

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@URLS
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_do_the_work_once(admin_token):
    # Given two requests with one key, started together against a view that takes a while
    barrier = threading.Barrier(2)
    answers = []

    def send() -> None:
        try:
            client = bearer(admin_token[1])
            barrier.wait()
            answers.append(post(client, SLOW_TOKENS, "k-race", {"name": "race"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    # When both run
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then one did the work and the other was told the key is in progress
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 409]
    busy = next(answer for answer in answers if answer.status_code == 409)
    assert busy.json()["code"] == "idempotency_key_in_progress"
    assert created("race") == 1
    # and a retry once it is done gets the stored answer
    done = next(answer for answer in answers if answer.status_code == 201)
    replay = post(bearer(admin_token[1]), SLOW_TOKENS, "k-race", {"name": "race"})
    assert replay.json() == done.json()
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_admin_lists_keys_read_only(client, make_user, settings):
    target, _ = api_token_create(user=make_user(), name="target", scopes=["*"])
    post(client, f"/api/v1/integration/api-tokens/{target.pk}/revoke/", "k-admin")
    settings.TANDEM_MFA_REQUIRED_ROLES = []
    browser = Client()
    browser.force_login(make_user(is_staff=True, is_superuser=True))

    listing = browser.get("/admin/integration/idempotencykey/?q=k-admin")
    adding = browser.get("/admin/integration/idempotencykey/add/")

    assert listing.status_code == 200
    assert b"k-admin" in listing.content
    assert adding.status_code == 403
