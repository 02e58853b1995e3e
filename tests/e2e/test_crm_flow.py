"""The CRM in a real browser, with a real Celery worker keeping the 360° view in sync."""

import re

import pytest
from playwright.sync_api import Page, expect

from crm.models import Account, Opportunity
from tests.bus.conftest import bus_broker, celery_env, start_celery  # noqa: F401 - fixtures
from tests.e2e.waiting import open_when_applied

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator("main form [type=submit]").last.click()


def test_sales_builds_a_customer_wins_a_deal_on_the_board_and_sees_it_in_the_360_view(
    page,
    live_server,
    make_user,
    log_in,
    browser_problems,
    start_celery,  # noqa: F811
):
    start_celery("worker")
    user = make_user(roles=["Sales"], first_name="Sanna")
    log_in(user.username)

    # Create an account
    page.goto("/crm/accounts/new/")
    page.fill("input[name=name]", "Borealis Analytics Oy")
    _submit(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Borealis Analytics Oy")
    account = Account.objects.get(name="Borealis Analytics Oy")
    assert account.owner == user

    # Add a contact from the account page
    page.click("[data-testid=add-contact]")
    page.fill("input[name=first_name]", "Aino")
    page.fill("input[name=last_name]", "Virtanen")
    page.fill("input[name=email]", "aino@borealis.example")
    _submit(page)
    expect(page.locator("main")).to_contain_text("Aino Virtanen")

    # Create an opportunity from the account page
    page.goto(f"/crm/accounts/{account.pk}/")
    page.click("[data-testid=add-opportunity]")
    page.fill("input[name=name]", "Pilot project")
    page.fill("input[name=amount]", "1200.00")
    _submit(page)
    opportunity = Opportunity.objects.get(name="Pilot project")
    assert opportunity.status == Opportunity.Status.OPEN

    # Drag its card to "Won" on the board
    page.goto("/crm/opportunities/board/")
    card = page.locator(f"[data-testid=card-{opportunity.pk}]")
    won = page.locator("[data-testid=stage-won]")
    expect(card).to_be_visible()
    with page.expect_response(lambda response: "/move/" in response.url) as moved:
        card.drag_to(won)
    assert moved.value.ok
    expect(won.locator(f"[data-testid=card-{opportunity.pk}]")).to_be_visible()
    opportunity.refresh_from_db()
    assert opportunity.status == Opportunity.Status.WON

    # The 360° page, fed by the worker, shows the won value and the timeline
    browser_problems.allow(r"/customers/\d+/: Failed to load resource: .* status of 404")
    open_when_applied(page, f"/customers/{account.pk}/", "[data-figure=won_value]", "1200.00")
    expect(page.locator("[data-figure=contacts_count]")).to_have_text("1")
    timeline = page.locator("[data-testid=customer-timeline]")
    for event_type in (
        "crm.account.created",
        "crm.contact.created",
        "crm.opportunity.created",
        "crm.opportunity.won",
    ):
        expect(timeline).to_contain_text(event_type)
    expect(page.locator("[data-testid=crm-account-link]")).to_have_attribute(
        "href", re.compile(rf"/crm/accounts/{account.pk}/$")
    )
