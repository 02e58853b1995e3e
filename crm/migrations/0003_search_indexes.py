"""Trigram indexes for searching accounts and contacts (PostgreSQL only; SQLite skips them).

Searches are `icontains`, which Django writes on PostgreSQL as UPPER(col::text) LIKE …,
so the indexes are on exactly those expressions (and on the full-name expression that
crm.selectors.FullName produces).
"""

from django.db import migrations

TRIGRAM_INDEXES = [
    ("crm_account_name_trgm", "crm_account", "UPPER(name::text)"),
    ("crm_contact_email_trgm", "crm_contact", "UPPER(email::text)"),
    (
        "crm_contact_full_name_trgm",
        "crm_contact",
        "UPPER(((first_name || ' ') || last_name)::text)",
    ),
    ("crm_lead_company_trgm", "crm_lead", "UPPER(company::text)"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expression}) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_default_pipeline")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
