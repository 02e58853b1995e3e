"""The benchmark subscriber: one PostgreSQL upsert per event, guarded by the subject's version."""

import os
import time

from django.db import connection, transaction

from benchmarks.benchapp.models import Item, Visible
from integration.events import subscriber
from integration.models import Event

_UPSERT = f"""
    INSERT INTO {Item._meta.db_table} (key, value, version, event_seq, applied_at)
    VALUES (%s, %s, %s, %s, clock_timestamp())
    ON CONFLICT (key) DO UPDATE
       SET value = EXCLUDED.value, version = EXCLUDED.version,
           event_seq = EXCLUDED.event_seq, applied_at = EXCLUDED.applied_at
     WHERE {Item._meta.db_table}.version < EXCLUDED.version
"""  # noqa: S608 - the table name is ours, the values are parameters

# The lag benchmark sets this: then each applied event's commit time is recorded, as
# (key, time.time()) seen by an on-commit callback, and written after the Celery task ends.
_recording = os.environ.get("BENCH_RECORD_VISIBLE") == "1"
_visible: list[tuple[str, float]] = []


@subscriber("benchapp.item.*", name="benchapp.upsert")
def on_benchapp_item_changed(event: Event) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT,
            [event.subject_id, event.data["value"], event.subject_version or 0, event.seq],
        )
    if _recording:
        key = event.subject_id
        transaction.on_commit(lambda: _visible.append((key, time.time())))


def flush_visible(**_kwargs) -> None:
    """After each Celery task: store when the effects it committed became visible."""
    if _visible:
        rows = [Visible(key=key, visible_at=at) for key, at in _visible]
        _visible.clear()
        Visible.objects.bulk_create(rows)
