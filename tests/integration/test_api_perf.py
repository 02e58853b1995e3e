"""The API's hot path stays cheap: queries per request, one-query permission checks, throttling."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from integration.access import user_has_perm, user_has_perms
from integration.api.authentication import token_by_secret
from integration.api.throttling import PrincipalRateThrottle
from integration.models import ApiToken, CustomerView
from integration.services import api_token_create

pytestmark = pytest.mark.django_db

VIEW_ACCOUNT = "crm.view_account"
ME = "/api/v1/me/"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def customer() -> CustomerView:
    return CustomerView.objects.create(
        account_id=4242,
        name="Acme Oy",
        kind="company",
        status="active",
        tags=["vip"],
        currency="EUR",
        won_value=Decimal("5000.00"),
        last_event_at=timezone.now(),
    )


def test_customer_detail_by_token_costs_two_queries(make_user, customer):
    _, raw = api_token_create(
        user=make_user(roles=["Sales"]), name="t", scopes=["integration:read"]
    )
    client = bearer(raw)
    url = f"/api/v1/integration/customers/{customer.pk}/"
    client.get(url)  # the first use records last_used_at

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == 200
    assert response.json()["won_value"] == "5000.00"
    # The token with its user and their permissions, then the customer; no write within
    # a minute.
    assert len(queries) == 2


def test_the_token_query_brings_every_permission_the_user_holds(make_user):
    user = make_user(roles=["Sales"])
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="crm", codename="delete_lead")
    )
    _, raw = api_token_create(user=user, name="t", scopes=["*"])

    token = token_by_secret(raw)

    expected = type(user).objects.get(pk=user.pk).get_all_permissions()
    with CaptureQueriesContext(connection) as queries:
        assert user_has_perms(token.user, expected)
        assert not user_has_perm(token.user, "auth.delete_user")
    assert len(queries) == 0


def test_a_permission_taken_away_refuses_the_tokens_next_request(make_user, customer):
    user = make_user(roles=["Sales"])
    _, raw = api_token_create(user=user, name="t", scopes=["integration:read"])
    client = bearer(raw)
    url = f"/api/v1/integration/customers/{customer.pk}/"
    assert client.get(url).status_code == 200

    for group in user.groups.all():
        group.permissions.remove(
            Permission.objects.get(content_type__app_label="crm", codename="view_account")
        )

    assert client.get(url).status_code == 403


def test_last_used_at_is_written_once_a_minute(make_user):
    token, raw = api_token_create(user=make_user(), name="t", scopes=["*"])
    client = bearer(raw)

    client.get(ME)
    first = type(token).objects.get(pk=token.pk).last_used_at
    with CaptureQueriesContext(connection) as queries:
        client.get(ME)

    assert first is not None
    assert type(token).objects.get(pk=token.pk).last_used_at == first
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]


def test_token_by_secret_loads_what_the_orm_loads(make_user):
    user = make_user(username="ada")
    expires = timezone.now() + timezone.timedelta(days=2)
    _, raw = api_token_create(user=user, name="ERP", scopes=["crm:read"], expires_at=expires)

    fast = token_by_secret(raw)
    slow = ApiToken.objects.select_related("user").get(prefix=raw[:12])

    assert {f.attname: getattr(fast, f.attname) for f in fast._meta.concrete_fields} == {
        f.attname: getattr(slow, f.attname) for f in slow._meta.concrete_fields
    }
    assert fast.scopes == ["crm:read"]
    with CaptureQueriesContext(connection) as queries:
        assert fast.user.username == "ada"
        assert fast.user.is_active is True
    assert len(queries) == 0
    assert token_by_secret(raw[:-1] + ("x" if raw[-1] != "x" else "y")) is None
    assert token_by_secret("tdm_nothing1234567890") is None
    assert token_by_secret("not-a-token") is None


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("nothing", False),
        ("user_permission", True),
        ("group_permission", True),
        ("other_permission", False),
        ("superuser", True),
        ("inactive_superuser", False),
        ("inactive_with_permission", False),
    ],
)
def test_user_has_perm_answers_as_django_does(make_user, setup, expected):
    user = make_user()
    view_account = Permission.objects.get(content_type__app_label="crm", codename="view_account")
    other = Permission.objects.get(content_type__app_label="crm", codename="delete_account")
    if setup == "user_permission":
        user.user_permissions.add(view_account)
    elif setup == "group_permission":
        group = Group.objects.create(name="Viewers")
        group.permissions.add(view_account)
        user.groups.add(group)
    elif setup == "other_permission":
        user.user_permissions.add(other)
    elif setup in ("superuser", "inactive_superuser"):
        user.is_superuser = True
        user.is_active = setup == "superuser"
        user.save()
    elif setup == "inactive_with_permission":
        user.user_permissions.add(view_account)
        user.is_active = False
        user.save()
    user = type(user).objects.get(pk=user.pk)  # no permission cache

    assert user_has_perm(user, VIEW_ACCOUNT) is expected
    assert user.has_perm(VIEW_ACCOUNT) is expected


def test_user_has_perm_takes_one_query_and_sees_a_removal_at_once(make_user):
    user = make_user(roles=["Sales"])
    assert user.has_perm(VIEW_ACCOUNT)  # Django's cache now says yes
    with CaptureQueriesContext(connection) as queries:
        assert user_has_perm(user, VIEW_ACCOUNT)
    assert len(queries) == 1

    for group in user.groups.all():
        group.permissions.remove(
            Permission.objects.get(content_type__app_label="crm", codename="view_account")
        )

    assert not user_has_perm(user, VIEW_ACCOUNT)


def test_user_has_perms_needs_every_permission(make_user):
    user = make_user()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="crm", codename="view_account")
    )

    assert user_has_perms(user, [])
    assert user_has_perms(user, [VIEW_ACCOUNT, VIEW_ACCOUNT])
    assert not user_has_perms(user, [VIEW_ACCOUNT, "crm.change_account"])
    assert not user_has_perm(user, "view_account")  # not "app_label.codename"
    assert not user_has_perm(AnonymousUser(), VIEW_ACCOUNT)


def test_throttle_window_slides_and_refusals_do_not_count(make_user, settings, monkeypatch):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"principal": "3/min", "anonymous": "3/min"},
    }
    clock = [1000.0]
    monkeypatch.setattr(PrincipalRateThrottle, "timer", lambda self: clock[0])
    _, raw = api_token_create(user=make_user(), name="t", scopes=["*"])
    client = bearer(raw)

    def at(now: float):
        clock[0] = now
        return client.get(ME)

    assert [at(t).status_code for t in (1000.0, 1001.0, 1002.0)] == [200, 200, 200]
    refused = at(1003.0)
    assert refused.status_code == 429
    # DRF's formula: the oldest request leaves the window 57 s later.
    assert refused["Retry-After"] == "57"
    assert at(1059.9).status_code == 429
    assert at(1060.0).status_code == 200  # the request at 1000.0 has left the window
    assert at(1060.5).status_code == 429


def test_without_redis_the_throttle_is_drfs_own(make_user, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"principal": "3/min", "anonymous": "3/min"},
    }
    _, raw = api_token_create(user=make_user(), name="t", scopes=["*"])
    client = bearer(raw)

    statuses = [client.get(ME).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert int(client.get(ME)["Retry-After"]) > 0


def test_each_filterset_gets_its_own_filters_bound_to_it():
    from integration.api.views import ApiTokenFilter

    first, second = ApiTokenFilter({"status": "active"}), ApiTokenFilter({"status": "revoked"})

    assert first.filters["status"] is not second.filters["status"]
    assert first.filters["status"].parent is first
    assert ApiTokenFilter.base_filters["status"] not in first.filters.values()
    assert first.form.is_valid()
    assert second.form.is_valid()
    assert first.form.cleaned_data["status"] == "active"
    assert second.form.cleaned_data["status"] == "revoked"
