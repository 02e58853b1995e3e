"""The words accounts are found by (crm.models.AccountWord), kept by PostgreSQL itself.

A one-word search in a list's order ("nordic" by name) had no index that gives its matches
in that order: a trigram index gives every match unsorted, a walk of the name index passes
every name before them. AccountWord holds each (word, account, name) and an index on
(kind, word, name, account_id), so a word's first accounts in name order are an index
range. SearchWord lists the words, for a term's lookup.

Statement triggers keep both in the same statement as the change, whatever wrote it (a
service, a COPY of the scale seed, a merge moving contacts, the admin); the functions below
are the only definition of a row. The rows of the data already there are written here.
SQLite (embedded mode) gets the tables without rows: its searches do not read them.
"""

from django.db import migrations, models

FUNCTIONS = r"""
-- The NAME words: runs of ASCII letters of UPPER(name) (what icontains compares), three
-- letters or more, in lower case. A term of ASCII letters is in UPPER(name) if and only if
-- it is in one of these runs.
CREATE FUNCTION crm_name_words(name text) RETURNS SETOF text LANGUAGE sql STABLE AS $$
    SELECT DISTINCT lower(run) FROM regexp_split_to_table(upper(name), '[^A-Z]+') AS run
    WHERE length(run) >= 3
$$;

-- The CONTACT words: the leading ASCII letters of each word of the name (the lexemes of
-- the full-text search crm/migrations/0006 indexes), of the address and of its domain
-- (crm/migrations/0005, 0007). A term of ASCII letters starts one of those if and only if
-- it starts one of these.
CREATE FUNCTION crm_contact_words(first_name text, last_name text, email text)
RETURNS SETOF text LANGUAGE sql STABLE AS $$
    SELECT DISTINCT word FROM (
        SELECT substring(lexeme FROM '^[a-z]+')
        FROM unnest(to_tsvector('simple'::regconfig, first_name || ' ' || last_name))
        UNION ALL SELECT substring(lower(email) FROM '^[a-z]+')
        UNION ALL SELECT substring(split_part(lower(email), '@', 2) FROM '^[a-z]+')
    ) AS words(word)
    WHERE length(word) >= 3
$$;

-- The statements that read a transition table run by EXECUTE, planned on each call for
-- that call's rows: PL/pgSQL keeps the plan of a static statement, made for the first
-- call's rows (a hash of the whole account table, made for a COPY of 15,000 contacts,
-- would cost each later single contact as much). What an UPDATE changed is a set
-- difference of its two transition tables, never a join of one to the other: PostgreSQL
-- knows nothing of their ids and joined them by a nested loop, 100,000 updated accounts
-- each against the 100,000 others, for many minutes.

-- The statements below find an account's rows by crm_word_account (account_id, kind),
-- given the ids as an array: a plan made once for any array, whatever its size, still
-- looks them up by index (a join would be planned as a scan of the whole table).

-- Rows that other transactions may be writing too (a new word, a contact's word at the
-- same account) are inserted in one order (ORDER BY), so that two such inserts wait for
-- each other rather than deadlock.

-- The CONTACT rows of these accounts, written again from their contacts.
CREATE FUNCTION crm_contact_words_refresh(accounts bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- One refresh of an account at a time: another waits here until this one commits,
    -- then reads the contacts as they are (an insert of a contact is not held up).
    PERFORM FROM crm_account WHERE id = ANY(accounts) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM crm_accountword WHERE kind = 'c' AND account_id = ANY(accounts);
    WITH added AS (
        INSERT INTO crm_accountword (kind, word, key, account_id, name)
        SELECT DISTINCT 'c', left(word, 3), word, contact.account_id, account.name
        FROM crm_contact contact
        JOIN crm_account account ON account.id = contact.account_id,
        crm_contact_words(contact.first_name, contact.last_name, contact.email) AS word
        WHERE contact.account_id = ANY(accounts)
        ORDER BY 1, 2, 3, 4
        ON CONFLICT DO NOTHING
        RETURNING kind, key
    )
    INSERT INTO crm_searchword (kind, word) SELECT DISTINCT kind, key FROM added
    ORDER BY kind, key ON CONFLICT DO NOTHING;
END
$$;

CREATE FUNCTION crm_account_words_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH added AS (
        INSERT INTO crm_accountword (kind, word, key, account_id, name)
        SELECT 'n', word, word, account.id, account.name
        FROM new_rows account, crm_name_words(account.name) AS word
        RETURNING kind, key
    )
    INSERT INTO crm_searchword (kind, word) SELECT DISTINCT kind, key FROM added
    ORDER BY kind, key ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE FUNCTION crm_account_words_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    renamed bigint[];
BEGIN
    -- The renamed accounts: (id, name) pairs the statement made (a set difference, never
    -- a join of one transition table to the other: see above).
    EXECUTE $sql$
        SELECT array_agg(id) FROM (
            SELECT id, name FROM new_rows EXCEPT SELECT id, name FROM old_rows
        ) AS renamed
    $sql$ INTO renamed;
    IF renamed IS NULL THEN
        RETURN NULL;  -- most updates keep the name
    END IF;
    DELETE FROM crm_accountword WHERE kind = 'n' AND account_id = ANY(renamed);
    UPDATE crm_accountword word
    SET name = (SELECT account.name FROM crm_account account WHERE account.id = word.account_id)
    WHERE word.account_id = ANY(renamed);
    WITH added AS (
        INSERT INTO crm_accountword (kind, word, key, account_id, name)
        SELECT 'n', word, word, account.id, account.name
        FROM crm_account account, crm_name_words(account.name) AS word
        WHERE account.id = ANY(renamed)
        RETURNING kind, key
    )
    INSERT INTO crm_searchword (kind, word) SELECT DISTINCT kind, key FROM added
    ORDER BY kind, key ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE FUNCTION crm_account_words_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM crm_accountword WHERE account_id = ANY(ARRAY(SELECT id FROM old_rows));
    RETURN NULL;
END
$$;

CREATE FUNCTION crm_contact_words_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only new words: the account's other contacts keep theirs.
    EXECUTE $sql$
        WITH added AS (
            INSERT INTO crm_accountword (kind, word, key, account_id, name)
            SELECT DISTINCT 'c', left(word, 3), word, contact.account_id, account.name
            FROM new_rows contact
            JOIN crm_account account ON account.id = contact.account_id,
            crm_contact_words(contact.first_name, contact.last_name, contact.email) AS word
            ORDER BY 1, 2, 3, 4
            ON CONFLICT DO NOTHING
            RETURNING kind, key
        )
        INSERT INTO crm_searchword (kind, word) SELECT DISTINCT kind, key FROM added
        ORDER BY kind, key ON CONFLICT DO NOTHING
    $sql$;
    RETURN NULL;
END
$$;

CREATE FUNCTION crm_contact_words_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    accounts bigint[];
BEGIN
    -- The accounts of the contacts whose words may have changed, before and after.
    EXECUTE $sql$
        SELECT array_agg(DISTINCT account_id) FROM (
            (SELECT id, first_name, last_name, email, account_id FROM new_rows
             EXCEPT SELECT id, first_name, last_name, email, account_id FROM old_rows)
            UNION ALL
            (SELECT id, first_name, last_name, email, account_id FROM old_rows
             EXCEPT SELECT id, first_name, last_name, email, account_id FROM new_rows)
        ) AS changed
    $sql$ INTO accounts;
    IF accounts IS NOT NULL THEN
        PERFORM crm_contact_words_refresh(accounts);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION crm_contact_words_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    accounts bigint[];
BEGIN
    SELECT array_agg(DISTINCT account_id) INTO accounts FROM old_rows;
    IF accounts IS NOT NULL THEN
        PERFORM crm_contact_words_refresh(accounts);
    END IF;
    RETURN NULL;
END
$$;
"""

TRIGGERS = [
    ("crm_account", "INSERT", "NEW TABLE AS new_rows", "crm_account_words_inserted"),
    (
        "crm_account",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "crm_account_words_updated",
    ),
    ("crm_account", "DELETE", "OLD TABLE AS old_rows", "crm_account_words_deleted"),
    ("crm_contact", "INSERT", "NEW TABLE AS new_rows", "crm_contact_words_inserted"),
    (
        "crm_contact",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "crm_contact_words_updated",
    ),
    ("crm_contact", "DELETE", "OLD TABLE AS old_rows", "crm_contact_words_deleted"),
]

FILL = """
INSERT INTO crm_accountword (kind, word, key, account_id, name)
SELECT 'n', word, word, account.id, account.name FROM crm_account account,
crm_name_words(account.name) AS word;

INSERT INTO crm_accountword (kind, word, key, account_id, name)
SELECT DISTINCT 'c', left(word, 3), word, contact.account_id, account.name
FROM crm_contact contact JOIN crm_account account ON account.id = contact.account_id,
crm_contact_words(contact.first_name, contact.last_name, contact.email) AS word;

INSERT INTO crm_searchword (kind, word) SELECT DISTINCT kind, key FROM crm_accountword;
"""

DROP_FUNCTIONS = [
    "crm_account_words_inserted()",
    "crm_account_words_updated()",
    "crm_account_words_deleted()",
    "crm_contact_words_inserted()",
    "crm_contact_words_updated()",
    "crm_contact_words_deleted()",
    "crm_contact_words_refresh(bigint[])",
    "crm_contact_words(text, text, text)",
    "crm_name_words(text)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(FUNCTIONS)
    schema_editor.execute(FILL)
    for table, event, transition, function in TRIGGERS:
        schema_editor.execute(
            f"CREATE TRIGGER {function} AFTER {event} ON {table} REFERENCING {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    # A term's words: the NAME words that contain it, the CONTACT ones that start with it.
    schema_editor.execute(
        "CREATE INDEX crm_searchword_trgm ON crm_searchword USING gin (word gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS crm_searchword_trgm")
    for table, _event, _transition, function in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {function} ON {table}")
    for function in DROP_FUNCTIONS:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0011_sortable_column_indexes")]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "kind",
                        "word",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("n", "In the name"),
                            ("c", "Starts a contact's name word, e-mail or domain"),
                        ],
                        max_length=1,
                    ),
                ),
                ("word", models.CharField(max_length=200)),
            ],
        ),
        migrations.CreateModel(
            name="AccountWord",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "kind",
                        "word",
                        "key",
                        "account_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("n", "In the name"),
                            ("c", "Starts a contact's name word, e-mail or domain"),
                        ],
                        max_length=1,
                    ),
                ),
                ("word", models.CharField(max_length=200)),
                ("key", models.CharField(max_length=200)),
                ("account_id", models.BigIntegerField()),
                ("name", models.CharField(max_length=200)),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["kind", "word", "name", "account_id"],
                        include=["key"],
                        name="crm_word_name",
                    ),
                    models.Index(
                        fields=["kind", "word", "account_id"], include=["key"], name="crm_word_id"
                    ),
                    models.Index(fields=["account_id", "kind"], name="crm_word_account"),
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
