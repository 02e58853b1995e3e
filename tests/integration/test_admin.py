"""Admin for API tokens: created through the service with the secret shown once; revoke."""

import re

import pytest
from django.test import Client

from integration.api.authentication import token_by_secret
from integration.models import ApiToken
from integration.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(make_user, settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = []
    client = Client()
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))
    return client


def test_admin_creates_a_token_and_shows_it_once(admin_client_, make_user):
    owner = make_user(username="erp")

    response = admin_client_.post(
        "/admin/integration/apitoken/add/",
        {"user": owner.pk, "name": "ERP sync", "scopes": ["crm:read", "sales:write"]},
    )

    assert response.status_code == 200
    raw = re.search(r'id="api-token-secret">(tdm_[^<]+)<', response.content.decode()).group(1)
    token = token_by_secret(raw)
    assert token.user == owner
    assert token.scopes == ["crm:read", "sales:write"]
    detail = admin_client_.get(f"/admin/integration/apitoken/{token.pk}/change/")
    assert raw not in detail.content.decode()


def test_admin_token_form_shows_errors_and_writes_nothing(admin_client_, make_user):
    owner = make_user()

    response = admin_client_.post(
        "/admin/integration/apitoken/add/",
        {"user": owner.pk, "name": "", "scopes": [], "expires_at": "yesterday"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("This field is required.") == 2
    assert "Enter a valid date/time." in html
    assert ApiToken.objects.count() == 0


def test_admin_refuses_an_expiry_in_the_past(admin_client_, make_user):
    response = admin_client_.post(
        "/admin/integration/apitoken/add/",
        {"user": make_user().pk, "name": "t", "scopes": ["*"], "expires_at": "2020-01-01 10:00"},
    )
    assert "The expiry must be in the future." in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_admin_revoke_action(admin_client_, make_user):
    token, _ = api_token_create(user=make_user(), name="t", scopes=["*"])

    admin_client_.post(
        "/admin/integration/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None


def test_admin_token_list_search_and_filter(admin_client_, make_user):
    user = make_user()
    api_token_create(user=user, name="ERP sync", scopes=["*"])
    api_token_create(user=user, name="Webshop", scopes=["*"])

    html = admin_client_.get("/admin/integration/apitoken/?q=webshop&status=active").content
    assert b"Webshop" in html
    assert b"ERP sync" not in html
