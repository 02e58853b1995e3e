"""Event types of the bus test fixtures."""

from integration.events import register_event_type

register_event_type(
    "bustest.item.changed",
    schema={
        "type": "object",
        "properties": {"value": {"type": "integer"}},
        "required": ["value"],
        "additionalProperties": False,
    },
    description="A test item changed (bus tests only).",
)
register_event_type(
    "bustest.flaky.happened",
    schema={"type": "object"},
    description="Handled by a subscriber that fails while its switch is on (bus tests only).",
)
register_event_type(
    "bustest.poison.happened",
    schema={"type": "object"},
    description="Handled by a subscriber that kills its worker process (bus tests only).",
)
register_event_type(
    "bustest.slow.happened",
    schema={"type": "object"},
    description="Handled slowly, so a worker is caught holding it (bus tests only).",
)
