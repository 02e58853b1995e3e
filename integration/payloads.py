"""The JSON shape of an event for integrators: the feed's items and webhook bodies alike."""

from typing import Any

from integration.models import Event


def event_payload(event: Event) -> dict[str, Any]:
    return {
        "id": str(event.uuid),
        "type": event.type,
        "version": event.version,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "customer_id": event.customer_id,
        "subject": {
            "type": event.subject_type,
            "id": event.subject_id,
            "version": event.subject_version,
        },
        "actor": {
            "type": event.actor_type,
            "id": event.actor_id or None,
            "label": event.actor_label,
        },
        "data": event.data,
    }
