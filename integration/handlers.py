"""Integration's own bus subscribers: webhooks fan-out and the 360° customer view."""

from integration import customer_view
from integration.events import subscriber
from integration.models import Event
from integration.webhooks import fan_out, wanted


@subscriber("*", name="integration.webhooks", accepts=wanted)
def on_any_event_for_webhooks(event: Event) -> None:
    """One WebhookDelivery per active matching subscription; sent after this commits."""
    fan_out(event)


@subscriber("*", name="integration.customer_view", accepts=customer_view.handles)
def on_customer_event(event: Event) -> None:
    """Apply the event to the 360° view; which types it wants is up to the view's appliers
    (crm.* now; sales, finance and support register theirs in integration.customer_view)."""
    customer_view.apply_events([event])
