"""The page shell in a real browser: logging in and out, navigation by role, 2FA, phone width."""

import itertools
import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE
from tests.factories.accounts import PASSWORD


def _path(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def _nav_labels(page: Page) -> list[str]:
    return [label.strip() for label in page.locator("[data-testid=main-nav] a").all_inner_texts()]


def _card_labels(page: Page) -> list[str]:
    return [
        label.strip() for label in page.locator("[data-testid=area-cards] h2").all_inner_texts()
    ]


def test_user_logs_in_by_username_sees_their_dashboard_and_logs_out(
    page, live_server, make_user, log_in
):
    user = make_user(roles=["Sales"], first_name="Sanna")

    log_in(user.username)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Good to see you, Sanna")
    assert _card_labels(page) == ["Customers", "CRM", "Sales"]
    assert _nav_labels(page) == ["Dashboard", "Customers", "CRM", "Sales"]

    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.locator("input[name=login]")).to_be_visible()
    expect(page.locator("[data-testid=main-nav]")).to_have_count(0)

    page.goto("/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")


def test_user_logs_in_by_email(page, live_server, make_user, log_in):
    user = make_user(roles=["Support"])

    log_in(user.email)

    expect(page).to_have_url(f"{live_server.url}/")
    assert _card_labels(page) == ["Customers", "Support"]


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(page, make_user, log_in):
    user = make_user(roles=["Sales"])

    log_in(user.username, password="not the password")

    expect(page.locator("[data-testid=form-errors]")).to_contain_text(
        "username and/or password you specified are not correct"
    )
    assert _path(page) == "/accounts/login/"
    expect(page.locator("input[name=login]")).to_have_value(user.username)
    expect(page.locator("[data-testid=main-nav]")).to_have_count(0)


def test_user_without_the_hr_role_sees_no_hr_and_is_refused_its_page(
    page, settings, make_user, log_in, browser_problems
):
    # Finance requires two-factor in production; this test is about areas, not 2FA.
    settings.TANDEM_MFA_REQUIRED_ROLES = []
    user = make_user(roles=["Sales", "Finance"])
    log_in(user.username)
    expect(page.locator("[data-testid=main-nav]")).to_be_visible()
    assert "HR" not in _nav_labels(page)
    assert "HR" not in _card_labels(page)

    # Chromium logs the 403 status of the page itself as a console error.
    browser_problems.allow(r"status of 403")
    response = page.goto("/hr/")

    assert response.status == 403
    expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
    assert "HR" not in _nav_labels(page)


def test_hr_user_sees_hr_in_the_navigation_and_opens_it(page, settings, make_user, log_in):
    settings.TANDEM_MFA_REQUIRED_ROLES = []
    user = make_user(roles=["HR"])

    log_in(user.username)

    assert _nav_labels(page) == ["Dashboard", "HR"]
    page.locator("[data-testid=main-nav]").get_by_role("link", name="HR").click()
    expect(page).to_have_url(re.compile(r"/hr/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("HR")
    expect(page.locator("[data-testid=main-nav] .active")).to_have_text("HR")


def test_hr_user_without_two_factor_is_sent_to_set_it_up(page, settings, make_user, log_in):
    settings.TANDEM_MFA_REQUIRED_ROLES = ["Admin", "Finance", "HR"]
    user = make_user(roles=["HR"])

    log_in(user.username)

    # allauth asks for the password again before any change to two-factor settings.
    expect(page).to_have_url(
        re.compile(r"/accounts/reauthenticate/\?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F$")
    )
    expect(
        page.get_by_role("alert").filter(has_text="requires two-factor authentication")
    ).to_be_visible()
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form.auth-form [type=submit]")

    assert _path(page) == "/accounts/2fa/totp/activate/"
    expect(page.locator("img.qr-code")).to_be_visible()
    expect(page.locator("input[name=code]")).to_be_visible()

    page.goto("/hr/")
    assert _path(page) == "/accounts/2fa/totp/activate/"


def test_phone_width_collapses_the_navigation_and_stacks_the_cards(page, make_user, log_in):
    user = make_user(roles=["Manager"])
    log_in(user.username)
    nav = page.locator("[data-testid=main-nav]")
    toggler = page.locator(".navbar-toggler")
    cards = page.locator("[data-testid=area-cards] .area-card")
    expect(cards).to_have_count(7)
    # At laptop width the navigation is open and cards share rows.
    expect(toggler).to_be_hidden()
    expect(nav).to_be_visible()
    assert abs(cards.nth(0).bounding_box()["y"] - cards.nth(1).bounding_box()["y"]) < 2

    page.set_viewport_size(PHONE)

    expect(toggler).to_be_visible()
    expect(nav).to_be_hidden()
    boxes = [cards.nth(i).bounding_box() for i in range(cards.count())]
    assert len({round(box["x"]) for box in boxes}) == 1, "cards are in one column"
    assert all(box["width"] > PHONE["width"] * 0.8 for box in boxes)
    assert all(a["y"] + a["height"] <= b["y"] for a, b in itertools.pairwise(boxes))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    toggler.click()

    expect(nav).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(page.locator("[data-testid=user-menu]")).to_be_visible()


def test_login_page_offers_password_reset_but_no_sign_up(page, live_server):
    page.goto("/accounts/login/")

    expect(page.get_by_role("link", name="Forgot your password?")).to_have_count(1)
    expect(page.get_by_text("sign up")).to_have_count(0)


def test_api_docs_render_from_local_assets_within_the_csp(page, live_server):
    # The page fixture fails the test on any console error (a CSP violation is one) and
    # on any request to another host.
    page.goto("/api/v1/docs/")

    expect(page.locator(".swagger-ui .title").first).to_contain_text("Tandem API")
    expect(page.get_by_text("/api/v1/me/").first).to_be_visible()
