"""A trigram index on opportunity names (PostgreSQL only; SQLite skips it).

An opportunity search matches its name or its account's name by "contains"
(crm.selectors.opportunity_list), which Django writes as UPPER(name::text) LIKE …. Without
an index on that expression every search read all opportunities; the account side has
crm_account_name_trgm (crm/migrations/0003).
"""

from django.db import migrations

INDEX = "crm_opportunity_name_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON crm_opportunity "
        "USING gin ((UPPER(name::text)) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0008_list_order_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
