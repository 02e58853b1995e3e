"""Search a word at the start of an e-mail's domain, not anywhere in the address
(PostgreSQL only; SQLite skips it).

crm.selectors.email_word_q matches one searched word against the start of an address
(crm/migrations/0005) or of its domain: SPLIT_PART(LOWER(email), '@', 2) LIKE 'acme%'.
text_pattern_ops lets a btree answer that prefix in any collation. The trigram index on
the whole address answered "contains", which no search uses any more: a common word
matched the middle of thousands of domains.
"""

from django.db import migrations

DOMAIN = (
    "CREATE INDEX IF NOT EXISTS crm_contact_email_domain ON crm_contact "
    "((SPLIT_PART(LOWER(email::text), '@', 2)) text_pattern_ops)"
)
TRIGRAM = (
    "CREATE INDEX IF NOT EXISTS crm_contact_email_trgm ON crm_contact "
    "USING gin ((UPPER(email::text)) gin_trgm_ops)"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DOMAIN)
    schema_editor.execute("DROP INDEX IF EXISTS crm_contact_email_trgm")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TRIGRAM)
    schema_editor.execute("DROP INDEX IF EXISTS crm_contact_email_domain")


class Migration(migrations.Migration):
    dependencies = [("crm", "0006_name_word_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
