"""The page shell: dashboard, navigation by role, area pages, assets served locally."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

AREA_URLS = {
    "Customers": "/customers/",
    "CRM": "/crm/",
    "Sales": "/sales/",
    "Support": "/support/",
    "HR": "/hr/",
    "Finance": "/finance/",
    "Inventory": "/inventory/",
}


@pytest.fixture(autouse=True)
def _no_two_factor_policy(settings):
    # Navigation is the subject here; the two-factor policy is tested in test_login.py.
    settings.TANDEM_MFA_REQUIRED_ROLES = []


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def nav_labels(html: str) -> list[str]:
    nav = html.split('data-testid="main-nav"', 1)[1].split("</ul>", 1)[0]
    return [label.strip() for label in re.findall(r'class="nav-link[^"]*"[^>]*>([^<]+)<', nav)]


def test_dashboard_greets_the_user_and_shows_their_areas(make_user):
    user = make_user(first_name="Aino", roles=["Sales"])

    html = logged_in(user).get("/").content.decode()

    assert "Good to see you, Aino" in html
    assert nav_labels(html) == ["Dashboard", "Customers", "CRM", "Sales"]
    cards = re.findall(r'data-area="(\w+)"', html)
    assert cards == ["customers", "crm", "sales"]


def test_user_without_hr_role_does_not_see_or_reach_hr(make_user):
    client = logged_in(make_user(roles=["Sales", "Finance"]))

    assert "HR" not in nav_labels(client.get("/").content.decode())
    assert client.get("/hr/").status_code == 403


def test_hr_user_sees_only_hr(make_user):
    client = logged_in(make_user(roles=["HR"]))

    assert nav_labels(client.get("/").content.decode()) == ["Dashboard", "HR"]
    assert client.get("/hr/").status_code == 200
    assert client.get("/crm/").status_code == 403


def test_superuser_reaches_every_area(make_user):
    client = logged_in(make_user(is_superuser=True, is_staff=True))

    assert nav_labels(client.get("/").content.decode())[1:] == list(AREA_URLS)
    for label, url in AREA_URLS.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert label in response.content.decode()


def test_user_without_roles_sees_an_empty_state(make_user):
    html = logged_in(make_user()).get("/").content.decode()
    assert "Your account has no role yet" in html


def test_footer_shows_the_version(make_user):
    html = logged_in(make_user()).get("/").content.decode()
    assert f"Tandem {settings.TANDEM_VERSION}" in html


def test_templates_load_nothing_from_other_hosts_and_have_no_inline_code():
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r'(src|href)="(https?:)?//', text), template
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert 'style="' not in text, template


def test_vendored_assets_are_served_with_their_licences(make_user):
    client = logged_in(make_user())
    for path in [
        "/static/vendor/bootstrap/bootstrap.min.css",
        "/static/vendor/bootstrap/bootstrap.bundle.min.js",
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/chartjs/chart.umd.min.js",
    ]:
        assert client.get(path).status_code == 200, path
    vendor = Path(settings.BASE_DIR, "static", "vendor")
    for folder in ("bootstrap", "htmx", "chartjs"):
        assert list((vendor / folder).glob("LICENSE*")), folder
