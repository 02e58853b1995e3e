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


# The same in one statement per figure source on PostgreSQL: a million customers in
# seconds rather than minutes of row-by-row updates. `by` is the per-currency object;
# the headline is its amount in the customer's currency (its only one when the customer
# has no currency yet, as integration.customer_view.money.in_currency).
_HEADLINE = """
    CASE WHEN v.currency <> '' THEN COALESCE((f.{by} ->> v.currency)::numeric, 0)
         WHEN (SELECT COUNT(*) FROM jsonb_object_keys(f.{by})) = 1
         THEN (SELECT value::numeric FROM jsonb_each_text(f.{by}))
         ELSE 0 END
"""
_OPPORTUNITIES = f"""
    WITH sums AS (
        SELECT account_id, currency,
               SUM(amount) FILTER (WHERE status = 'open') AS open_v,
               SUM(amount) FILTER (WHERE status = 'won') AS won
          FROM integration_customeropportunity WHERE NOT deleted GROUP BY 1, 2
    ), f AS (
        SELECT account_id,
               COALESCE(jsonb_object_agg(currency, open_v::numeric(14, 2)::text)
                        FILTER (WHERE open_v <> 0), '{{}}') AS open_by,
               COALESCE(jsonb_object_agg(currency, won::numeric(14, 2)::text)
                        FILTER (WHERE won <> 0), '{{}}') AS won_by
          FROM sums GROUP BY 1
    )
    UPDATE integration_customerview v
       SET open_opportunities_by_currency = f.open_by,
           won_by_currency = f.won_by,
           open_opportunities_value = {_HEADLINE.format(by="open_by")},
           won_value = {_HEADLINE.format(by="won_by")}
      FROM f WHERE v.account_id = f.account_id AND NOT v.deleted
"""  # noqa: S608 - built from this module's constants only
_ORDERS = f"""
    WITH sums AS (
        SELECT account_id, currency, SUM(total) AS total
          FROM integration_customerorder
         WHERE NOT deleted AND status IN {COUNTED_ORDER_STATUSES!r} GROUP BY 1, 2
    ), f AS (
        SELECT account_id,
               COALESCE(jsonb_object_agg(currency, total::numeric(14, 2)::text)
                        FILTER (WHERE total <> 0), '{{}}') AS total_by
          FROM sums GROUP BY 1
    )
    UPDATE integration_customerview v
       SET orders_total_by_currency = f.total_by,
           orders_total = {_HEADLINE.format(by="total_by")}
      FROM f WHERE v.account_id = f.account_id AND NOT v.deleted
"""  # noqa: S608 - built from this module's constants only


def recompute(apps, schema_editor):
    if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(_OPPORTUNITIES)
            cursor.execute(_ORDERS)
        return
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
