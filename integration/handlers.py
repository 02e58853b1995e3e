"""Integration's own bus subscribers: every event fans out to the webhook subscriptions."""

from integration.events import subscriber
from integration.models import Event
from integration.webhooks import fan_out, wanted


@subscriber("*", name="integration.webhooks", accepts=wanted)
def on_any_event_for_webhooks(event: Event) -> None:
    """One WebhookDelivery per active matching subscription; sent after this commits."""
    fan_out(event)
