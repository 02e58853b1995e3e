"""Browserless checks of login, the brute-force limit, two-factor enforcement and headers."""

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOO_MANY = "Too many failed login attempts"


def attempt(client: Client, login: str, password: str):
    return client.post(LOGIN, {"login": login, "password": password})


def test_pages_require_login_but_login_and_reset_do_not(client):
    response = client.get("/crm/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/crm/"
    assert client.get(LOGIN).status_code == 200
    assert client.get("/accounts/password/reset/").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok", "database": "up"}


def test_login_by_username_and_by_email(make_user):
    make_user(username="ada", email="ada@example.test")

    by_name = attempt(Client(), "ada", PASSWORD)
    by_email = attempt(Client(), "ADA@example.test", PASSWORD)

    assert by_name.status_code == 302
    assert by_name["Location"] == "/"
    assert by_email.status_code == 302


def test_sixth_wrong_password_for_one_account_is_refused_even_across_login_names(make_user):
    make_user(username="ada", email="ada@example.test")
    make_user(username="bob", email="bob@example.test")
    client = Client()

    # Five failures, alternating the username and the e-mail of the same account.
    for i in range(5):
        response = attempt(client, "ada" if i % 2 else "ada@example.test", "wrong")
        assert response.status_code == 200
        assert "not correct" in response.content.decode()

    refused = attempt(client, "ada", PASSWORD)  # even the right password now

    assert refused.status_code == 200
    assert TOO_MANY in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account is not locked by someone else's failures.
    assert attempt(Client(), "bob", PASSWORD).status_code == 302


def test_admin_login_goes_through_the_limited_login(make_user):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)

    make_user(username="root", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(5):
        attempt(client, "root", "wrong")
    assert TOO_MANY in attempt(client, "root", PASSWORD).content.decode()


def test_admin_refuses_logged_in_non_staff(make_user):
    client = Client()
    client.force_login(make_user(roles=["Sales"]))
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_signup_is_closed(db):
    response = Client().get("/accounts/signup/")
    assert response.status_code == 200
    assert "Sign Up Closed" in response.content.decode()
    assert 'name="password1"' not in response.content.decode()


def test_role_that_requires_two_factor_is_sent_to_setup(make_user, settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = ["Admin", "Finance", "HR"]
    make_user(username="hanna", roles=["HR"])
    client = Client()
    assert attempt(client, "hanna", PASSWORD).status_code == 302

    page = client.get("/hr/")
    api = client.get("/api/v1/me/")

    assert page.status_code == 302
    assert page["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password again before any two-factor change, then shows the QR.
    reauth = client.get(page["Location"])
    assert reauth["Location"].startswith("/accounts/reauthenticate/")
    confirmed = client.post(reauth["Location"], {"password": PASSWORD})
    assert confirmed["Location"] == "/accounts/2fa/totp/activate/"
    setup = client.get(confirmed["Location"])
    assert setup.status_code == 200
    assert "data:image/svg+xml" in setup.content.decode()
    assert api.status_code == 403
    assert api.json()["code"] == "mfa_required"


def test_two_factor_user_reaches_pages(make_user, settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = ["HR"]
    user = make_user(roles=["HR"])
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = Client()
    client.force_login(user)

    assert client.get("/hr/").status_code == 200


def test_roles_outside_the_list_need_no_two_factor(make_user, settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = ["HR"]
    client = Client()
    client.force_login(make_user(roles=["Sales"]))

    assert client.get("/crm/").status_code == 200


def test_superuser_counts_as_admin_for_two_factor(make_user, settings):
    settings.TANDEM_MFA_REQUIRED_ROLES = ["Admin"]
    client = Client()
    client.force_login(make_user(is_superuser=True, is_staff=True))

    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"


def test_security_headers_and_request_id(make_user):
    client = Client()
    client.force_login(make_user(roles=["Sales"]))

    response = client.get("/", HTTP_X_REQUEST_ID="abc-123")

    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Request-ID"] == "abc-123"
    assert len(Client().get("/healthz")["X-Request-ID"]) == 32
