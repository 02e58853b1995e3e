"""The event catalogue and the event feed for integrators (/api/v1/integration/...)."""

import base64
import binascii

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integration.api.permissions import ModelPermissions, TokenScopes
from integration.api.serializers import (
    EventFeedQuerySerializer,
    EventFeedSerializer,
    EventTypeSerializer,
)
from integration.events import event_types
from integration.models import Event
from integration.payloads import event_payload
from integration.roles import API_APPS
from integration.selectors import FeedPosition, event_feed


def public_event_types():
    """The catalogue: types of Tandem's own apps (test fixtures and plug-ins excluded)."""
    return [t for t in event_types() if t.app in API_APPS]


class EventTypeListView(APIView):
    """Every event type Tandem publishes, with its JSON schema and version."""

    api_scope = "integration"
    permission_classes = [permissions.IsAuthenticated, TokenScopes]

    @extend_schema(responses=EventTypeSerializer(many=True), operation_id="event_types_list")
    def get(self, request: Request) -> Response:
        data = [
            {"name": t.name, "version": t.version, "description": t.description, "schema": t.schema}
            for t in public_event_types()
        ]
        return Response(EventTypeSerializer(data, many=True).data)


def encode_cursor(position: FeedPosition) -> str:
    return base64.urlsafe_b64encode(f"{position.txid}.{position.seq}".encode()).decode()


def decode_cursor(cursor: str) -> FeedPosition:
    try:
        txid, seq = base64.urlsafe_b64decode(cursor.encode()).decode().split(".")
        return FeedPosition(int(txid), int(seq))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise ValidationError({"cursor": ["Invalid cursor: use a `next` value."]}) from exc


class EventFeedView(APIView):
    """The event log in commit order, for polling: pass the last page's `next` as `cursor`.

    Every event appears exactly once across pages, even while events are being written;
    `next` is always present (an empty page keeps the position), so a client polls with
    the cursor it has until new events arrive.
    """

    api_scope = "integration"
    permission_classes = [permissions.IsAuthenticated, TokenScopes, ModelPermissions]
    queryset = Event.objects.none()  # for ModelPermissions: integration.view_event

    @extend_schema(
        parameters=[EventFeedQuerySerializer],
        responses=EventFeedSerializer,
        operation_id="events_feed",
    )
    def get(self, request: Request) -> Response:
        query = EventFeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        after = decode_cursor(params["cursor"]) if params.get("cursor") else None
        subject = tuple(params["subject"].split(":", 1)) if params.get("subject") else None
        types = (
            [t.strip() for t in params["type"].split(",") if t.strip()]
            if params.get("type")
            else None
        )
        events = event_feed(
            after=after,
            limit=params["page_size"],
            types=types,
            customer_id=params.get("customer"),
            subject=subject,
            occurred_after=params.get("occurred_after"),
            occurred_before=params.get("occurred_before"),
        )
        if events:
            last = events[-1]
            position = FeedPosition(last.txid or 0, last.seq)
        else:
            position = after or FeedPosition(0, 0)
        body = {
            "next": encode_cursor(position),
            "previous": None,
            "results": [event_payload(e) for e in events],
        }
        return Response(body, status=status.HTTP_200_OK)
