"""The stock ledger is append-only in the database itself: UPDATE and DELETE are refused.

Corrections are new moves. TRUNCATE stays allowed: test databases are flushed with it.
PostgreSQL only: the embedded SQLite mode relies on the services.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION inventory_stockmove_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'inventory_stockmove is append-only: % refused (post a correcting move)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS inventory_stockmove_append_only ON inventory_stockmove;
CREATE TRIGGER inventory_stockmove_append_only
    BEFORE UPDATE OR DELETE ON inventory_stockmove
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmove_refuse_change();
"""
DROP = """
DROP TRIGGER IF EXISTS inventory_stockmove_append_only ON inventory_stockmove;
DROP FUNCTION IF EXISTS inventory_stockmove_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
