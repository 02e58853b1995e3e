"""Indexes for searching contacts by e-mail address (PostgreSQL only; SQLite skips them).

crm.selectors.email_address_q matches a term with "@" against the start of the address
(LOWER(email) LIKE 'aino@%') or, for "@acme.example", its end, written as the start of
the reversed address. text_pattern_ops lets a btree answer those LIKE prefixes in any
collation.
"""

from django.db import migrations

INDEXES = [
    ("crm_contact_email_start", "LOWER(email::text)"),
    ("crm_contact_email_end", "REVERSE(LOWER(email::text))"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON crm_contact (({expression}) text_pattern_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_list_order_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
