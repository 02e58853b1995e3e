"""Sales services against PostgreSQL: pricing, quotes, orders and stock, contracts, events."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm import services as crm
from crm.models import Opportunity
from inventory import services as inventory
from inventory.errors import InsufficientStock
from inventory.models import Warehouse
from inventory.selectors import ledger_balances, stock_levels, stored_balances
from sales import errors, services
from sales.models import Contract, OrderLine, PriceList, Quote, SalesOrder
from sales.rounding import document_totals, line_amounts, money
from tests.factories.sales import make_account, make_order, make_product, make_warehouse

pytestmark = pytest.mark.django_db

D = Decimal
S = SalesOrder.Status


def level(product, warehouse=None):
    return stock_levels(product_ids=[product.pk], warehouse_id=warehouse and warehouse.pk)[
        product.pk
    ]


def ledger_agrees() -> None:
    assert ledger_balances() == stored_balances()


# ---------------------------------------------------------------- rounding


def test_money_rounds_half_up_to_cents():
    assert money(D("0.005")) == D("0.01")
    assert money(D("2.675")) == D("2.68")
    assert money(D("-0.005")) == D("-0.01")


def test_line_amounts_apply_discount_then_tax_per_line_and_round_each():
    amounts = line_amounts(
        quantity=D("3"), unit_price=D("3.335"), discount_percent=D("0"), tax_rate=D("24")
    )
    assert amounts.line_total == D("10.01")  # 10.005 rounds up
    assert amounts.tax_amount == D("2.40")  # 2.4024
    discounted = line_amounts(
        quantity=D("2.5"), unit_price=D("19.99"), discount_percent=D("10"), tax_rate=D("14")
    )
    assert discounted.line_total == D("44.98")  # 44.9775
    assert discounted.tax_amount == D("6.30")  # 6.2972
    totals = document_totals([amounts, discounted])
    assert (totals.subtotal, totals.tax_total, totals.total) == (
        D("54.99"),
        D("8.70"),
        D("63.69"),
    )


# ---------------------------------------------------------------- pricing


def test_price_for_falls_back_to_the_products_sales_price(account):
    product = make_product(price="12.50")
    assert services.price_for(
        product=product, account=account, quantity=D("1"), currency="EUR"
    ) == D("12.50")


def test_price_for_takes_the_best_quantity_break_of_a_general_list(account):
    product = make_product(price="12.50")
    services.price_list_create(
        name="Standard",
        currency="EUR",
        is_default=True,
        items=[
            {"product": product, "min_quantity": D("1"), "unit_price": D("11.00")},
            {"product": product, "min_quantity": D("10"), "unit_price": D("10.00")},
            {"product": product, "min_quantity": D("100"), "unit_price": D("9.00")},
        ],
    )

    def price(quantity):
        return services.price_for(
            product=product, account=account, quantity=D(quantity), currency="EUR"
        )

    assert price("1") == D("11.00")
    assert price("9.999") == D("11.00")
    assert price("10") == D("10.00")
    assert price("500") == D("9.00")
    # Another currency has no list: the product's price.
    assert services.price_for(
        product=product, account=account, quantity=D("1"), currency="SEK"
    ) == D("12.50")


def test_a_segment_list_wins_for_its_accounts_only():
    product = make_product(price="20.00")
    finnish = make_account("Suomi Oy", billing_country="FI")
    swedish = make_account("Sverige AB", billing_country="SE")
    segment = crm.segment_create(name="Finland", criteria={"country": "FI"})
    services.price_list_create(
        name="General",
        items=[{"product": product, "min_quantity": D("1"), "unit_price": D("18.00")}],
    )
    services.price_list_create(
        name="Finland",
        segment=segment,
        items=[{"product": product, "min_quantity": D("1"), "unit_price": D("19.00")}],
    )
    assert services.price_for(
        product=product, account=finnish, quantity=D("1"), currency="EUR"
    ) == D("19.00")
    assert services.price_for(
        product=product, account=swedish, quantity=D("1"), currency="EUR"
    ) == D("18.00")


def test_inactive_price_lists_do_not_apply(account):
    product = make_product(price="20.00")
    services.price_list_create(
        name="Old",
        active=False,
        items=[{"product": product, "min_quantity": D("1"), "unit_price": D("1.00")}],
    )
    assert services.price_for(
        product=product, account=account, quantity=D("1"), currency="EUR"
    ) == D("20.00")


def test_price_list_rules_one_default_per_currency_and_no_duplicate_breaks():
    product = make_product()
    services.price_list_create(name="A", is_default=True)
    with pytest.raises(ValidationError):
        services.price_list_create(name="B", is_default=True)
    with pytest.raises(ValidationError):
        services.price_list_create(
            name="C",
            items=[
                {"product": product, "min_quantity": D("1"), "unit_price": D("1.00")},
                {"product": product, "min_quantity": D("1"), "unit_price": D("2.00")},
            ],
        )
    with pytest.raises(ValidationError):
        services.price_list_create(
            name="D", items=[{"product": product, "min_quantity": D("0"), "unit_price": D("1.00")}]
        )
    assert PriceList.objects.count() == 1


# ---------------------------------------------------------------- orders: create and edit


def test_order_create_prices_from_the_list_and_defaults_warehouse_and_currency(
    account, warehouse, new_events
):
    product = make_product(price="10.00", tax_rate="24.00")
    services.price_list_create(
        name="Std", items=[{"product": product, "min_quantity": D("5"), "unit_price": D("9.00")}]
    )
    order = services.order_create(
        account=account,
        lines=[
            {"product": product, "quantity": D("1")},
            {"product": product.pk, "quantity": D("5"), "discount_percent": D("10")},
        ],
    )
    assert order.status == S.DRAFT
    assert order.number == f"SO-{order.pk:06d}"
    assert order.warehouse == warehouse
    assert order.currency == account.currency == "EUR"
    lines = list(order.lines.order_by("position"))
    assert [line.unit_price for line in lines] == [D("10.00"), D("9.00")]
    assert [line.line_total for line in lines] == [D("10.00"), D("40.50")]
    assert [line.tax_amount for line in lines] == [D("2.40"), D("9.72")]
    assert (order.subtotal, order.tax_total, order.total) == (D("50.50"), D("12.12"), D("62.62"))

    (event,) = new_events("sales.order.")
    assert event.type == "sales.order.created"
    assert event.customer_id == account.pk
    assert event.subject_version == 1
    assert event.data["order_id"] == order.pk
    assert event.data["status"] == "draft"
    assert event.data["total"] == "62.62"
    assert event.data["confirmed_at"] is None
    assert event.data["lines"][1] == {
        "line_id": lines[1].pk,
        "product_id": product.pk,
        "sku": product.sku,
        "name": product.name,
        "quantity": "5.000",
        "quantity_shipped": "0.000",
        "unit_price": "9.00",
        "discount_percent": "10.00",
        "tax_rate": "24.00",
        "line_total": "40.50",
    }


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": D("0")}, "quantity"),
        ({"quantity": D("-1")}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": D("1.0001")}, "quantity"),
        ({"quantity": D("1"), "unit_price": D("-1")}, "unit_price"),
        ({"quantity": D("1"), "unit_price": D("1.001")}, "unit_price"),
        ({"quantity": D("1"), "discount_percent": D("101")}, "discount_percent"),
    ],
)
def test_order_create_refuses_bad_lines(account, warehouse, line, field):
    product = make_product()
    with pytest.raises(ValidationError) as caught:
        services.order_create(account=account, lines=[{"product": product, **line}])
    assert field in str(caught.value)
    assert not SalesOrder.objects.exists()


def test_order_create_refuses_no_lines_unknown_and_inactive_products(account, warehouse):
    inactive = make_product(active=False)
    for lines in (
        [],
        [{"product": 999_999, "quantity": D("1")}],
        [{"product": inactive, "quantity": D("1")}],
    ):
        with pytest.raises(ValidationError):
            services.order_create(account=account, lines=lines)
    assert not SalesOrder.objects.exists()


def test_order_create_without_any_warehouse_is_a_conflict(account):
    assert not Warehouse.objects.exists()
    product = make_product()
    with pytest.raises(errors.NoWarehouse):
        services.order_create(account=account, lines=[{"product": product, "quantity": D("1")}])


def test_the_database_refuses_bad_quantities_and_prices(account, warehouse):
    order = make_order(account, (make_product(), "1"))
    line = order.lines.get()
    for field, value in [
        ("quantity", D("0")),
        ("unit_price", D("-1")),
        ("discount_percent", D("100.01")),
        ("quantity_shipped", D("2")),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderLine.objects.filter(pk=line.pk).update(**{field: value})


def test_order_update_replaces_lines_of_drafts_only(account, warehouse, new_events):
    a, b = make_product(price="1.00"), make_product(price="2.00")
    order = make_order(account, (a, "1"))
    order = services.order_update(
        order=order, lines=[{"product": b, "quantity": D("3")}], notes="x"
    )
    assert [(line.product_id, line.quantity) for line in order.lines.all()] == [(b.pk, D("3"))]
    assert order.total == D("6.00")
    assert order.version == 2
    assert new_events("sales.order.")[-1].type == "sales.order.updated"
    a.refresh_from_db()
    inventory.stock_receive(product=b, warehouse=warehouse, quantity=D("5"))
    services.order_confirm(order=order)
    with pytest.raises(errors.NotEditable):
        services.order_update(order=order, notes="late")


# ---------------------------------------------------------------- orders: stock


def test_order_confirm_reserves_every_line(account, warehouse, new_events):
    a, b = make_product(stock=5), make_product(stock=5)
    order = make_order(account, (a, "2"), (b, "1"), (a, "1"))
    order = services.order_confirm(order=order)
    assert order.status == S.CONFIRMED
    assert order.confirmed_at is not None
    assert (level(a).reserved, level(a).available) == (D("3"), D("2"))
    assert level(b).reserved == D("1")
    event = new_events("sales.order.")[-1]
    assert event.type == "sales.order.confirmed"
    assert event.subject_version == order.version == 2
    assert event.data["confirmed_at"] is not None
    ledger_agrees()


def test_order_confirm_refuses_when_stock_is_short_and_changes_nothing(
    account, warehouse, new_events
):
    plenty, scarce = make_product(stock=10), make_product(stock=1)
    order = make_order(account, (plenty, "2"), (scarce, "2"))
    with pytest.raises(InsufficientStock) as caught:
        services.order_confirm(order=order)
    assert caught.value.lines == [
        {
            "product": scarce.pk,
            "sku": scarce.sku,
            "warehouse": warehouse.pk,
            "requested": "2.000",
            "available": "1.000",
        }
    ]
    order.refresh_from_db()
    assert order.status == S.DRAFT
    assert order.version == 1
    assert level(plenty).reserved == D("0")
    assert [e.type for e in new_events("sales.")] == ["sales.order.created"]


def test_untracked_products_need_no_stock(account, warehouse):
    service = make_product(tracked=False)
    order = services.order_confirm(order=make_order(account, (service, "3")))
    order = services.order_ship(order=order)
    assert order.status == S.SHIPPED
    assert level(service).on_hand == D("0")


def test_transitions_are_enforced(account, warehouse):
    product = make_product(stock=5)
    order = make_order(account, (product, "1"))
    with pytest.raises(errors.InvalidTransition):
        services.order_ship(order=order)
    with pytest.raises(errors.InvalidTransition):
        services.order_close(order=order)
    services.order_cancel(order=order)
    with pytest.raises(errors.InvalidTransition) as caught:
        services.order_confirm(order=order)
    assert caught.value.code == "invalid_transition"
    assert caught.value.extra == {"status": "cancelled", "action": "confirm"}
    with pytest.raises(errors.InvalidTransition):
        services.order_cancel(order=order)
    confirmed = services.order_confirm(order=make_order(account, (product, "1")))
    with pytest.raises(errors.InvalidTransition):
        services.order_confirm(order=confirmed)


def test_ship_everything_delivers_the_reservations(account, warehouse, new_events):
    product = make_product(stock=10)
    order = services.order_confirm(order=make_order(account, (product, "4")))
    order = services.order_ship(order=order)
    assert order.status == S.SHIPPED
    assert order.shipped_at is not None
    assert order.lines.get().quantity_shipped == D("4")
    stock = level(product)
    assert (stock.on_hand, stock.reserved, stock.available) == (D("6"), D("0"), D("6"))
    event = new_events("sales.order.")[-1]
    assert event.type == "sales.order.shipped"
    assert event.data["status"] == "shipped"
    assert event.data["shipment"] == {
        "lines": [{"product_id": product.pk, "sku": product.sku, "quantity": "4.000"}]
    }
    assert event.data["lines"][0]["quantity_shipped"] == "4.000"
    with pytest.raises(errors.InvalidTransition):
        services.order_ship(order=order)
    order = services.order_close(order=order)
    assert order.status == S.CLOSED
    assert new_events("sales.order.")[-1].type == "sales.order.closed"
    ledger_agrees()


def test_partial_shipment_then_cancel_of_the_rest_keeps_ledger_and_balances_in_agreement(
    account, warehouse, new_events
):
    a, b = make_product(stock=10), make_product(stock=10)
    order = services.order_confirm(order=make_order(account, (a, "5"), (b, "3")))
    line_a = order.lines.get(product=a)
    order = services.order_ship(order=order, lines=[{"line": line_a.pk, "quantity": D("2")}])
    assert order.status == S.PARTIALLY_SHIPPED
    assert new_events("sales.order.")[-1].data["shipment"]["lines"] == [
        {"product_id": a.pk, "sku": a.sku, "quantity": "2.000"}
    ]
    assert (level(a).on_hand, level(a).reserved) == (D("8"), D("3"))

    order = services.order_cancel(order=order)

    assert order.status == S.CANCELLED
    assert (level(a).on_hand, level(a).reserved, level(a).available) == (D("8"), D("0"), D("8"))
    assert (level(b).on_hand, level(b).reserved) == (D("10"), D("0"))
    ledger_agrees()
    assert new_events("sales.order.")[-1].type == "sales.order.cancelled"


def test_shipping_more_than_outstanding_is_refused(account, warehouse):
    product = make_product(stock=10)
    order = services.order_confirm(order=make_order(account, (product, "2")))
    line = order.lines.get()
    with pytest.raises(errors.OverShipment):
        services.order_ship(order=order, lines=[{"line": line, "quantity": D("3")}])
    services.order_ship(order=order, lines=[{"line": line, "quantity": D("1.5")}])
    with pytest.raises(errors.OverShipment):
        services.order_ship(order=order, lines=[{"line": line, "quantity": D("1")}])
    with pytest.raises(ValidationError):
        services.order_ship(order=order, lines=[{"line": 123456789, "quantity": D("0.5")}])
    with pytest.raises(ValidationError):
        services.order_ship(order=order, lines=[{"line": line, "quantity": D("0")}])
    order = services.order_ship(order=order, lines=[{"line": line, "quantity": D("0.5")}])
    assert order.status == S.SHIPPED
    ledger_agrees()


def test_shipped_orders_cannot_be_cancelled(account, warehouse):
    product = make_product(stock=10)
    order = services.order_ship(
        order=services.order_confirm(order=make_order(account, (product, "1")))
    )
    with pytest.raises(errors.OrderAlreadyShipped) as caught:
        services.order_cancel(order=order)
    assert caught.value.code == "order_shipped"
    assert level(product).on_hand == D("9")


def test_cancelling_a_confirmed_order_releases_its_reservation(account, warehouse):
    product = make_product(stock=3)
    order = services.order_confirm(order=make_order(account, (product, "3")))
    assert level(product).available == D("0")
    services.order_cancel(order=order)
    assert (level(product).reserved, level(product).available) == (D("0"), D("3"))
    ledger_agrees()


def test_orders_reserve_in_their_own_warehouse(account, warehouse):
    other = make_warehouse("OTHER")
    product = make_product(stock=5, warehouse=other)
    with pytest.raises(InsufficientStock):
        services.order_confirm(order=make_order(account, (product, "1")))
    order = services.order_confirm(order=make_order(account, (product, "1"), warehouse=other))
    assert level(product, other).reserved == D("1")
    assert order.warehouse == other


# ---------------------------------------------------------------- quotes


def _opportunity(account, amount="0.00"):
    return crm.opportunity_create(account=account, name="Big deal", amount=D(amount))


def test_a_quote_drives_its_opportunitys_amount(account, warehouse, new_events):
    product = make_product(price="100.00", tax_rate="24.00")
    opportunity = _opportunity(account)
    quote = services.quote_create(
        account=account,
        opportunity=opportunity,
        lines=[{"product": product, "quantity": D("3"), "discount_percent": D("10")}],
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    assert quote.number == f"Q-{quote.pk:06d}"
    assert (quote.subtotal, quote.tax_total, quote.total) == (D("270.00"), D("64.80"), D("334.80"))
    opportunity.refresh_from_db()
    assert opportunity.amount == D("334.80")
    services.quote_update(quote=quote, lines=[{"product": product, "quantity": D("1")}])
    opportunity.refresh_from_db()
    assert opportunity.amount == D("124.00")
    (created, updated) = new_events("sales.quote.")
    assert created.type == "sales.quote.created"
    assert updated.type == "sales.quote.updated"
    assert updated.subject_version == 2
    assert set(created.data) == {
        "quote_id", "number", "account_id", "contact_id", "opportunity_id", "status", "currency",
        "subtotal", "tax_total", "total", "valid_until", "order_id", "lines",
    }  # fmt: skip
    assert created.data["opportunity_id"] == opportunity.pk
    assert created.data["order_id"] is None


def test_accepting_a_quote_creates_the_order_and_wins_the_opportunity(
    account, warehouse, new_events
):
    product = make_product(price="50.00", stock=10)
    opportunity = _opportunity(account)
    quote = services.quote_create(
        account=account,
        opportunity=opportunity,
        lines=[{"product": product, "quantity": D("2"), "unit_price": D("45.00")}],
    )
    quote = services.quote_send(quote=quote)
    assert quote.status == Quote.Status.SENT

    quote = services.quote_accept(quote=quote)

    assert quote.status == Quote.Status.ACCEPTED
    order = quote.order
    assert order.status == S.DRAFT
    assert order.quote == quote
    assert order.account == account
    line = order.lines.get()
    assert (line.product, line.quantity, line.unit_price) == (product, D("2"), D("45.00"))
    assert order.total == quote.total == D("90.00")
    opportunity.refresh_from_db()
    assert opportunity.status == Opportunity.Status.WON
    assert opportunity.amount == D("90.00")
    accepted = new_events("sales.quote.accepted")[0]
    assert accepted.data["order_id"] == order.pk
    assert [e.type for e in new_events("crm.opportunity.")][-1] == "crm.opportunity.won"

    with pytest.raises(errors.QuoteAlreadyAccepted) as caught:
        services.quote_accept(quote=quote)
    assert caught.value.code == "quote_already_accepted"
    assert SalesOrder.objects.count() == 1
    # The order goes on like any other.
    services.order_confirm(order=order)


def test_accepting_is_atomic_with_the_order(account):
    # No warehouse: the order cannot be created, so the quote stays as it was.
    product = make_product(price="5.00")
    opportunity = _opportunity(account)
    quote = services.quote_create(
        account=account, opportunity=opportunity, lines=[{"product": product, "quantity": D("1")}]
    )
    with pytest.raises(errors.NoWarehouse):
        services.quote_accept(quote=quote)
    quote.refresh_from_db()
    opportunity.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT
    assert opportunity.status == Opportunity.Status.OPEN


def test_quote_reject_send_and_edit_rules(account, warehouse):
    product = make_product()
    quote = services.quote_create(account=account, lines=[{"product": product, "quantity": D("1")}])
    services.quote_send(quote=quote)
    with pytest.raises(errors.NotEditable):
        services.quote_update(quote=quote, notes="late")
    with pytest.raises(errors.InvalidTransition):
        services.quote_send(quote=quote)
    quote = services.quote_reject(quote=quote)
    assert quote.status == Quote.Status.REJECTED
    with pytest.raises(errors.InvalidTransition):
        services.quote_accept(quote=quote)


def test_overdue_quotes_expire_and_cannot_be_accepted(account, warehouse, new_events):
    product = make_product()
    today = timezone.localdate()
    old = services.quote_create(
        account=account,
        lines=[{"product": product, "quantity": D("1")}],
        valid_until=today - dt.timedelta(days=1),
    )
    current = services.quote_create(
        account=account, lines=[{"product": product, "quantity": D("1")}], valid_until=today
    )
    with pytest.raises(errors.QuoteExpired):
        services.quote_accept(quote=old)
    assert services.quote_expire_overdue(today=today) == 1
    assert services.quote_expire_overdue(today=today) == 0
    old.refresh_from_db()
    current.refresh_from_db()
    assert (old.status, current.status) == (Quote.Status.EXPIRED, Quote.Status.DRAFT)
    assert new_events("sales.quote.expired")[0].data["quote_id"] == old.pk


def test_quote_contact_and_opportunity_must_belong_to_the_account(account):
    other = make_account("Other Oy")
    product = make_product()
    with pytest.raises(ValidationError):
        services.quote_create(
            account=account,
            opportunity=_opportunity(other),
            lines=[{"product": product, "quantity": 1}],
        )


# ---------------------------------------------------------------- contracts


def test_contract_lifecycle_and_renewal_reminders(account, new_events):
    today = dt.date(2026, 11, 1)
    soon = services.contract_create(
        account=account,
        title="Support",
        start_date=dt.date(2025, 12, 1),
        end_date=today + dt.timedelta(days=30),
        value=D("1200.00"),
        auto_renew=True,
    )
    later = services.contract_create(
        account=account,
        title="Licence",
        start_date=dt.date(2026, 1, 1),
        end_date=today + dt.timedelta(days=31),
        value=D("500.00"),
    )
    assert soon.number == f"C-{soon.pk:06d}"
    assert soon.currency == "EUR"

    assert services.contract_remind_renewals(today=today) == [soon.pk]
    assert services.contract_remind_renewals(today=today) == []
    soon.refresh_from_db()
    assert soon.renewal_reminded_at is not None
    (due,) = new_events("sales.contract.renewal_due")
    assert due.data == {
        "contract_id": soon.pk,
        "number": soon.number,
        "account_id": account.pk,
        "title": "Support",
        "status": "active",
        "start_date": "2025-12-01",
        "end_date": "2026-12-01",
        "value": "1200.00",
        "currency": "EUR",
        "auto_renew": True,
    }
    assert due.subject_version == soon.version == 2

    # Extended: a new reminder is due before the new end.
    soon = services.contract_update(contract=soon, end_date=dt.date(2027, 12, 1))
    assert soon.renewal_reminded_at is None
    tomorrow = today + dt.timedelta(days=1)
    assert services.contract_remind_renewals(today=tomorrow) == [later.pk]
    assert services.contract_remind_renewals(today=dt.date(2027, 11, 15)) == [soon.pk]

    ended = services.contract_end(contract=later)
    assert ended.status == Contract.Status.ENDED
    with pytest.raises(errors.ContractEnded):
        services.contract_update(contract=ended, title="x")
    assert [e.type for e in new_events("sales.contract.")] == [
        "sales.contract.created",
        "sales.contract.created",
        "sales.contract.renewal_due",
        "sales.contract.updated",
        "sales.contract.renewal_due",
        "sales.contract.renewal_due",
        "sales.contract.ended",
    ]


def test_contract_cannot_end_before_it_starts(account):
    with pytest.raises(ValidationError):
        services.contract_create(
            account=account,
            title="Backwards",
            start_date=dt.date(2026, 2, 1),
            end_date=dt.date(2026, 1, 1),
        )


def test_the_renewal_task_runs_the_service(account, new_events):
    from sales.tasks import remind_contract_renewals

    today = timezone.localdate()
    services.contract_create(
        account=account, title="T", start_date=today, end_date=today + dt.timedelta(days=3)
    )
    assert remind_contract_renewals() == {"reminded": 1, "expired_quotes": 0}
