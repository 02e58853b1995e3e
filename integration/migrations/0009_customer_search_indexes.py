"""Indexes for the 360° view's search box, on the expressions integration.search writes
(PostgreSQL only; SQLite skips them).

The search reads customers by the words of their name (several words) and contacts by the
start of their name's words, of their e-mail address or of its domain, as the CRM's
searches do (crm/migrations/0005-0007). The contact trigram indexes of 0007 answered
"contains", which the search no longer uses; the customer name's trigram index stays (one
word still matches anywhere in a customer's name).
"""

from django.db import migrations

INDEXES = [
    (
        "customer_view_name_words",
        "integration_customerview USING gin (to_tsvector('simple'::regconfig, name))",
    ),
    (
        "customer_contact_name_words",
        "integration_customercontact USING gin (to_tsvector('simple'::regconfig, name))",
    ),
    (
        "customer_contact_email_start",
        "integration_customercontact ((LOWER(email::text)) text_pattern_ops)",
    ),
    (
        "customer_contact_email_end",
        "integration_customercontact ((REVERSE(LOWER(email::text))) text_pattern_ops)",
    ),
    (
        "customer_contact_email_domain",
        "integration_customercontact ((SPLIT_PART(LOWER(email::text), '@', 2)) text_pattern_ops)",
    ),
]
TRIGRAMS = [
    ("customer_contact_name_trgm", "name"),
    ("customer_contact_email_trgm", "email"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, target in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
    for name, _column in TRIGRAMS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in TRIGRAMS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON integration_customercontact "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )
    for name, _target in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("integration", "0008_customer_sales")]

    operations = [migrations.RunPython(forwards, backwards)]
