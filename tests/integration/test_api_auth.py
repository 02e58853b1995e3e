"""API authentication: bearer tokens with scopes, never more than the user's permissions."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from integration.models import ApiToken
from integration.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
TOKENS = "/api/v1/integration/api-tokens/"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_me_with_valid_token_returns_user_groups_scopes_and_expiry(make_user):
    user = make_user(username="ada", email="ada@example.test", roles=["Sales", "Marketing"])
    expires = timezone.now() + timedelta(days=3)
    token, raw = api_token_create(user=user, name="ERP", scopes=["crm:read"], expires_at=expires)

    response = bearer(raw).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "ada"
    assert body["email"] == "ada@example.test"
    assert body["groups"] == ["Marketing", "Sales"]
    assert body["auth"] == "token"
    assert body["token"]["scopes"] == ["crm:read"]
    assert body["token"]["prefix"] == token.prefix
    assert datetime.fromisoformat(body["token"]["expires_at"]) == expires


def test_me_with_session_has_no_token(make_user):
    user = make_user(roles=["Support"])
    client = APIClient()
    client.force_login(user)

    body = client.get(ME).json()

    assert body["auth"] == "session"
    assert body["token"] is None
    assert body["groups"] == ["Support"]


def test_token_use_records_last_used_at(make_user):
    token, raw = api_token_create(user=make_user(), name="t", scopes=["*"])
    assert token.last_used_at is None

    bearer(raw).get(ME)

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_only_a_hash_of_the_token_is_stored(make_user):
    token, raw = api_token_create(user=make_user(), name="t", scopes=["*"])
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in {str(value) for value in stored.values()}
    assert raw.startswith(token.prefix)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer tdm_notarealtokenatall",
        "Bearer something-else",
        "Bearer",
        "Bearer a b",
        "Bearer \u00e9t\u00e9",
    ],
)
def test_invalid_token_is_401_with_error_body(header, make_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) >= {"code", "detail"}


def test_wrong_secret_with_a_real_prefix_is_401(make_user):
    token, raw = api_token_create(user=make_user(), name="t", scopes=["*"])
    forged = token.prefix + "x" * (len(raw) - len(token.prefix))

    assert bearer(forged).get(ME).status_code == 401


def test_no_credentials_is_401(db):
    response = APIClient().get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_expired_token_is_401(make_user):
    token, raw = api_token_create(
        user=make_user(), name="t", scopes=["*"], expires_at=timezone.now() + timedelta(hours=1)
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = bearer(raw).get(ME)

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_revoked_token_is_401(make_user):
    token, raw = api_token_create(user=make_user(), name="t", scopes=["*"])
    assert bearer(raw).get(ME).status_code == 200

    api_token_revoke(token=token)

    response = bearer(raw).get(ME)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_token_of_inactive_user_is_401(make_user):
    user = make_user()
    _, raw = api_token_create(user=user, name="t", scopes=["*"])
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert bearer(raw).get(ME).status_code == 401


def test_missing_scope_is_403(make_user):
    # An Admin may read tokens, but this token only covers the CRM.
    _, raw = api_token_create(user=make_user(roles=["Admin"]), name="t", scopes=["crm:read"])

    response = bearer(raw).get(TOKENS)

    assert response.status_code == 403
    assert "integration:read" in response.json()["detail"]


def test_read_scope_does_not_allow_writes(make_user):
    user = make_user(roles=["Admin"])
    target, _ = api_token_create(user=user, name="target", scopes=["*"])
    _, raw = api_token_create(user=user, name="reader", scopes=["integration:read"])
    client = bearer(raw)

    assert client.get(TOKENS).status_code == 200
    response = client.post(f"{TOKENS}{target.pk}/revoke/")

    assert response.status_code == 403
    target.refresh_from_db()
    assert target.revoked_at is None


def test_scope_beyond_the_users_permissions_is_403(make_user):
    # A Sales user cannot view tokens; a token with every scope does not change that.
    _, raw = api_token_create(user=make_user(roles=["Sales"]), name="t", scopes=["*"])

    response = bearer(raw).get(TOKENS)

    assert response.status_code == 403


def test_write_scope_and_permission_allow_revoking(make_user):
    user = make_user(roles=["Admin"])
    target, target_raw = api_token_create(user=user, name="target", scopes=["*"])
    _, raw = api_token_create(user=user, name="writer", scopes=["integration:write"])

    response = bearer(raw).post(f"{TOKENS}{target.pk}/revoke/")

    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert bearer(target_raw).get(ME).status_code == 401


def test_user_with_view_permission_only_cannot_revoke(make_user):
    user = make_user()
    user.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
    target, _ = api_token_create(user=user, name="target", scopes=["*"])
    _, raw = api_token_create(user=user, name="t", scopes=["*"])
    client = bearer(raw)

    assert client.get(TOKENS).status_code == 200
    assert client.post(f"{TOKENS}{target.pk}/revoke/").status_code == 403


def test_token_list_is_cursor_paginated_and_never_shows_secrets(make_user):
    user = make_user(roles=["Admin"])
    raws = [api_token_create(user=user, name=f"t{i}", scopes=["*"])[1] for i in range(3)]
    client = bearer(raws[0])

    page1 = client.get(TOKENS, {"page_size": 2}).json()
    page2 = client.get(page1["next"]).json()

    assert [t["name"] for t in page1["results"]] == ["t2", "t1"]
    assert [t["name"] for t in page2["results"]] == ["t0"]
    assert page2["next"] is None
    text = str(page1) + str(page2)
    assert not any(raw in text for raw in raws)
    assert "token_hash" not in text


def test_token_list_search_and_status_filter(make_user):
    user = make_user(roles=["Admin"])
    _, raw = api_token_create(user=user, name="ERP sync", scopes=["*"])
    old, _ = api_token_create(user=user, name="Old webshop", scopes=["crm:read"])
    api_token_revoke(token=old)
    client = bearer(raw)

    assert [t["name"] for t in client.get(TOKENS, {"search": "webshop"}).json()["results"]] == [
        "Old webshop"
    ]
    assert [t["name"] for t in client.get(TOKENS, {"status": "active"}).json()["results"]] == [
        "ERP sync"
    ]


def test_bad_filter_value_is_400_not_500(make_user):
    _, raw = api_token_create(user=make_user(roles=["Admin"]), name="t", scopes=["*"])

    response = bearer(raw).get(TOKENS, {"status": "bogus", "user": "not-a-number"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "status" in body
    assert "user" in body


def test_token_list_query_count_does_not_grow_with_page_size(
    make_user, django_assert_max_num_queries
):
    user = make_user(roles=["Admin"])
    others = [make_user() for _ in range(5)]
    for i in range(30):
        api_token_create(user=others[i % 5], name=f"t{i}", scopes=["*"])
    _, raw = api_token_create(user=user, name="me", scopes=["*"])
    client = bearer(raw)

    for size in (5, 30):
        with django_assert_max_num_queries(6):
            response = client.get(TOKENS, {"page_size": size})
        assert len(response.json()["results"]) == size


def test_unknown_detail_is_404_with_error_body(make_user):
    _, raw = api_token_create(user=make_user(roles=["Admin"]), name="t", scopes=["*"])

    response = bearer(raw).get(f"{TOKENS}999999/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_requests_are_throttled_per_token(make_user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"principal": "3/min", "anonymous": "3/min"},
    }
    user = make_user()
    _, raw_a = api_token_create(user=user, name="a", scopes=["*"])
    _, raw_b = api_token_create(user=user, name="b", scopes=["*"])
    client_a = bearer(raw_a)

    statuses = [client_a.get(ME).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    limited = client_a.get(ME)
    assert limited.json()["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0
    # Another token of the same user has its own budget.
    assert bearer(raw_b).get(ME).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_token_is_read_on_a_new_connection_and_after_a_rolled_back_transaction(make_user):
    """The token query is a prepared statement on PostgreSQL, made once per connection:
    a reconnection prepares it again, a rollback does not lose it, and every request
    still reads the token's state afresh."""
    from django.db import connection, transaction

    token, raw = api_token_create(user=make_user(username="ada"), name="t", scopes=["*"])
    assert bearer(raw).get(ME).json()["username"] == "ada"

    connection.close()  # as after CONN_MAX_AGE, or a lost server
    assert bearer(raw).get(ME).json()["username"] == "ada"

    connection.close()
    with transaction.atomic():
        # Prepared afresh (a new connection) inside a transaction that is rolled back.
        assert bearer(raw).get(ME).status_code == 200
        transaction.set_rollback(True)
    assert bearer(raw).get(ME).json()["username"] == "ada"

    api_token_revoke(token=token)
    assert bearer(raw).get(ME).status_code == 401
