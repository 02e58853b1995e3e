"""Full-text indexes for searching accounts and contacts by several words (PostgreSQL
only; SQLite skips them).

integration.search.words_q matches the words of a term such as "foods tapio 5432" against the
words of a name, in any order, the last word as a beginning: to_tsvector('simple', …) @@
a query. The indexes are on exactly the expressions that integration.search.NameWords writes
(the contact's full name as crm.selectors.FullName writes it).
"""

from django.db import migrations

INDEXES = [
    ("crm_account_name_words", "crm_account", "name"),
    ("crm_contact_full_name_words", "crm_contact", "(first_name || ' ') || last_name"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (to_tsvector('simple'::regconfig, {expression}))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0005_email_address_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
