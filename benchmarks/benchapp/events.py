"""Event types of the benchmark fixtures."""

from integration.events import register_event_type

register_event_type(
    "benchapp.item.changed",
    schema={
        "type": "object",
        "properties": {"value": {"type": "integer"}},
        "required": ["value"],
        "additionalProperties": False,
    },
    description="A benchmark item changed (benchmarks only).",
)
