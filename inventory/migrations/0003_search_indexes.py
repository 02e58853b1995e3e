"""Trigram indexes for searching products by SKU or name (PostgreSQL only; SQLite skips them).

Searches are `icontains`, which Django writes on PostgreSQL as UPPER(col::text) LIKE …,
so the indexes are on exactly those expressions.
"""

from django.db import migrations

TRIGRAM_INDEXES = [
    ("inventory_product_sku_trgm", "inventory_product", "UPPER(sku::text)"),
    ("inventory_product_name_trgm", "inventory_product", "UPPER(name::text)"),
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
    dependencies = [("inventory", "0002_stock_move_append_only")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
