"""The 360° view's money per currency: the `…_by_currency` figures, and the headline figures
in the customer's own currency (they used to add every currency together).

The figures are recomputed here from the view's own projection rows, as its aggregates
compute them (integration.customer_view.money): no event needs to be applied again.
"""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import Q, Sum

ZERO = Decimal("0.00")
COUNTED_ORDER_STATUSES = ("confirmed", "partially_shipped", "shipped", "closed")


def _sums(rows, account_field, amount_field):
    """{account_id: {currency: Decimal}} from grouped rows, zero sums left out."""
    sums = {}
    for row in rows:
        if row[amount_field]:
            per = sums.setdefault(row[account_field], {})
            per[row["currency"]] = per.get(row["currency"], ZERO) + row[amount_field]
    return sums


def _strings(per_currency):
    return {c: f"{per_currency[c].quantize(ZERO)}" for c in sorted(per_currency) if per_currency[c]}


def recompute(apps, schema_editor):
    view = apps.get_model("integration", "CustomerView")
    opportunity = apps.get_model("integration", "CustomerOpportunity")
    order = apps.get_model("integration", "CustomerOrder")
    opportunities = list(
        opportunity.objects.filter(deleted=False)
        .values("account_id", "currency")
        .annotate(
            open_v=Sum("amount", filter=Q(status="open")), won=Sum("amount", filter=Q(status="won"))
        )
        .order_by()
    )
    orders = list(
        order.objects.filter(deleted=False, status__in=COUNTED_ORDER_STATUSES)
        .values("account_id", "currency")
        .annotate(total=Sum("total"))
        .order_by()
    )
    open_value = _sums(opportunities, "account_id", "open_v")
    won = _sums(opportunities, "account_id", "won")
    totals = _sums(orders, "account_id", "total")
    ids = sorted(open_value.keys() | won.keys() | totals.keys())
    for start in range(0, len(ids), 1000):
        rows = list(view.objects.filter(pk__in=ids[start : start + 1000], deleted=False))
        for row in rows:
            pk, currency = row.pk, row.currency
            row.open_opportunities_by_currency = _strings(open_value.get(pk, {}))
            row.won_by_currency = _strings(won.get(pk, {}))
            row.orders_total_by_currency = _strings(totals.get(pk, {}))
            row.open_opportunities_value = open_value.get(pk, {}).get(currency, ZERO)
            row.won_value = won.get(pk, {}).get(currency, ZERO)
            row.orders_total = totals.get(pk, {}).get(currency, ZERO)
        view.objects.bulk_update(
            rows,
            [
                "open_opportunities_by_currency",
                "won_by_currency",
                "orders_total_by_currency",
                "open_opportunities_value",
                "won_value",
                "orders_total",
            ],
        )


class Migration(migrations.Migration):
    dependencies = [("integration", "0009_customer_search_indexes")]

    operations = [
        migrations.AddField(
            model_name="customerview",
            name="open_opportunities_by_currency",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="customerview",
            name="won_by_currency",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="customerview",
            name="orders_total_by_currency",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(recompute, migrations.RunPython.noop),
    ]
