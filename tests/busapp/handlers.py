"""Subscribers of the bus test fixtures."""

import os
import time

from integration.events import subscriber
from integration.models import Event
from tests.busapp.models import Application, Projection, Switch


def _record(event: Event, name: str) -> None:
    Application.objects.create(event_seq=event.seq, subscriber=name)


@subscriber("bustest.item.*", name="busapp.record")
def on_bustest_item_changed(event: Event) -> None:
    _record(event, "busapp.record")
    # Upsert guarded by version: an older event never overwrites a newer one.
    projection, created = Projection.objects.select_for_update().get_or_create(
        key=event.subject_id,
        defaults={"value": event.data["value"], "version": event.subject_version or 0},
    )
    if not created and (event.subject_version or 0) > projection.version:
        projection.value = event.data["value"]
        projection.version = event.subject_version or 0
        projection.save(update_fields=["value", "version"])


@subscriber("bustest.flaky.*", name="busapp.flaky")
def on_bustest_flaky_happened(event: Event) -> None:
    if Switch.objects.filter(name="flaky", on=True).exists():
        raise RuntimeError("The flaky switch is on.")
    _record(event, "busapp.flaky")


@subscriber("bustest.poison.*", name="busapp.poison")
def on_bustest_poison_happened(event: Event) -> None:
    os._exit(13)  # kills the worker process, as a segfaulting library would


@subscriber("bustest.slow.*", name="busapp.slow")
def on_bustest_slow_happened(event: Event) -> None:
    time.sleep(0.5)
    _record(event, "busapp.slow")
