"""Quote to shipment in a real browser: the editor's live totals, accept, confirm, ship; a real
Celery worker brings the order to the 360° view, and the stock page shows the lower on-hand."""

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from crm import services as crm
from sales.models import Quote, SalesOrder
from tests.bus.conftest import bus_broker, celery_env, start_celery  # noqa: F401 - fixtures
from tests.e2e.waiting import open_when_applied
from tests.factories.sales import make_product

pytestmark = pytest.mark.django_db(transaction=True)


def _click_and_wait(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _pick_product(page: Page, index: int, sku: str, product_id: int) -> None:
    """Search the line's product picker and choose the match (the htmx lookup fills it)."""
    search = page.locator(f"#id_lines-{index}-product_search")
    select = page.locator(f"select[name=lines-{index}-product]")
    option = select.locator(f"option[value='{product_id}']")
    # A row htmx has just added may take a moment to wire its search box: type again if so.
    for _ in range(5):
        search.fill("")
        search.fill(sku)
        try:
            option.wait_for(state="attached", timeout=2000)
            break
        except PlaywrightTimeout:
            continue
    expect(option).to_have_count(1)
    select.select_option(str(product_id))


def test_a_quote_becomes_a_shipped_order_seen_in_the_360_view_and_the_stock(
    page,
    live_server,
    make_user,
    log_in,
    browser_problems,
    start_celery,  # noqa: F811
):
    start_celery("worker")
    user = make_user(roles=["Sales", "Warehouse"], first_name="Sanna")
    account = crm.account_create(name="Borealis Analytics Oy", user=user)
    opportunity = crm.opportunity_create(account=account, name="Sensor rollout", user=user)
    widget = make_product(stock=10, price="10.00", tax_rate="24.00", name="Widget", sku="W-100")
    gadget = make_product(stock=5, price="2.50", name="Gadget", sku="G-200")
    log_in(user.username)

    # Start a quote from the opportunity page
    page.goto(f"/crm/opportunities/{opportunity.pk}/")
    _click_and_wait(page, "[data-testid=new-quote]")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sensor rollout")

    # Build it in the editor: the totals follow each change (htmx)
    totals = page.locator("[data-testid=document-totals]")
    _pick_product(page, 0, "W-100", widget.pk)
    page.fill("input[name=lines-0-quantity]", "3")
    expect(totals.locator("[data-testid=total]")).to_have_text("37.20 EUR")
    page.click("[data-testid=add-line]")
    expect(page.locator("[data-testid=line-row]")).to_have_count(2)
    _pick_product(page, 1, "G-200", gadget.pk)
    page.fill("input[name=lines-1-quantity]", "2")
    expect(totals.locator("[data-testid=total]")).to_have_text("42.20 EUR")
    expect(page.locator("#lines-1-total")).to_contain_text("5.00")
    _click_and_wait(page, "[data-testid=submit]")

    quote = Quote.objects.get(opportunity=opportunity)
    expect(page.get_by_role("heading", level=1)).to_contain_text(quote.number)
    expect(page.locator("[data-testid=document-total]")).to_have_text("42.20 EUR")

    # Accept it: a draft order opens; confirm it (stock reserved), then ship everything
    _click_and_wait(page, "[data-testid=accept]")
    order = SalesOrder.objects.get(quote=quote)
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    _click_and_wait(page, "[data-testid=confirm]")
    expect(page.locator("[data-testid=order-status]")).to_contain_text("Confirmed")
    _click_and_wait(page, "[data-testid=ship]")
    expect(page.locator("[data-testid=order-status]")).to_contain_text("Shipped")
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.SHIPPED

    # The 360° page, fed by the worker, shows the order
    browser_problems.allow(r"/customers/\d+/: Failed to load resource: .* status of 404")
    open_when_applied(page, f"/customers/{account.pk}/", "[data-figure=orders_count]", "1")
    expect(page.locator("[data-figure=orders_total]")).to_contain_text("42.20")
    orders = page.locator("[data-testid=customer-orders]")
    expect(orders).to_contain_text(order.number)
    expect(orders.get_by_role("link", name=order.number)).to_have_attribute(
        "href", f"/sales/orders/{order.pk}/"
    )
    expect(page.locator("[data-testid=customer-top-products]")).to_contain_text("W-100")
    expect(page.locator("[data-testid=customer-timeline]")).to_contain_text("sales.order.shipped")

    # The stock page shows the lower on-hand: 10 - 3 widgets, 5 - 2 gadgets
    page.goto("/inventory/stock/")
    rows = page.locator("[data-testid=report-row]")
    widget_row = rows.filter(has_text="W-100")
    expect(widget_row.locator("td").nth(2)).to_have_text("7")
    expect(widget_row.locator("td").nth(3)).to_have_text("0")
    expect(rows.filter(has_text="G-200").locator("td").nth(2)).to_have_text("3")
