"""Indexes for the list pages' other sortable columns: contacts by e-mail, opportunities by
amount, close date and status, activities by due date. Sorting a page by one of them
sorted the whole table: 1.6 s for contacts by e-mail, about 200 ms for opportunities and
300 ms for activities at 1,000,000 accounts. A date that may be empty sorts empty last in
both directions, which a btree read backwards does not give: those get a descending index
of their own (DESC NULLS LAST), on PostgreSQL only (SQLite cannot index NULLS LAST, and
the embedded mode's lists are small).
"""

from django.conf import settings
from django.db import migrations, models

DESCENDING = [
    ("crm_opportunity_close_desc", "crm_opportunity", "expected_close_date"),
    ("crm_activity_due_desc", "crm_activity", "due_at"),
]


def create_descending(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in DESCENDING:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column} DESC NULLS LAST, id DESC)"
        )


def drop_descending(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in DESCENDING:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0010_account_filter_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(fields=["due_at", "id"], name="crm_activity_due"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["email", "id"], name="crm_contact_email_order"),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["amount", "id"], name="crm_opportunity_amount"),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["expected_close_date", "id"], name="crm_opportunity_close"),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["status", "id"], name="crm_opportunity_status"),
        ),
        migrations.RunPython(create_descending, drop_descending),
    ]
