"""Search contacts by the start of an e-mail's domain and of a name's words, not anywhere
in them (PostgreSQL only; SQLite skips it).

integration.search.email_word_q matches one searched word against the start of an address
(crm/migrations/0005) or of its domain: SPLIT_PART(LOWER(email), '@', 2) LIKE 'acme%'.
text_pattern_ops lets a btree answer that prefix in any collation. A contact's name is
searched by the starts of its words (the full-text index of crm/migrations/0006). The
trigram indexes on the whole address and the full name answered "contains", which no
search uses any more: a common word matched the middle of thousands of domains, and
common trigrams ("mar", "ine") made even a rare word read long lists.
"""

from django.db import migrations

DOMAIN = (
    "CREATE INDEX IF NOT EXISTS crm_contact_email_domain ON crm_contact "
    "((SPLIT_PART(LOWER(email::text), '@', 2)) text_pattern_ops)"
)
TRIGRAMS = [
    ("crm_contact_email_trgm", "UPPER(email::text)"),
    ("crm_contact_full_name_trgm", "UPPER(((first_name || ' ') || last_name)::text)"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DOMAIN)
    for name, _expression in TRIGRAMS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in TRIGRAMS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON crm_contact USING gin (({expression}) gin_trgm_ops)"
        )
    schema_editor.execute("DROP INDEX IF EXISTS crm_contact_email_domain")


class Migration(migrations.Migration):
    dependencies = [("crm", "0006_name_word_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
