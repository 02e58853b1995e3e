"""Serializers for integration's API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integration.models import ApiToken


class TokenInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    groups = serializers.ListField(child=serializers.CharField())
    auth = serializers.ChoiceField(choices=["session", "token"])
    token = TokenInfoSerializer(allow_null=True)


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "user",
            "scopes",
            "status",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_user(self, obj: ApiToken) -> str:
        return obj.user.get_username()


class EventTypeSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.IntegerField()
    description = serializers.CharField()
    schema = serializers.JSONField()


class EventSubjectSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)


class EventActorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["user", "token", "system"])
    id = serializers.CharField(allow_null=True)
    label = serializers.CharField(allow_blank=True)


class EventSerializer(serializers.Serializer):
    """One event, exactly as webhooks deliver it."""

    id = serializers.UUIDField()
    type = serializers.CharField()
    version = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    customer_id = serializers.IntegerField(allow_null=True)
    subject = EventSubjectSerializer()
    actor = EventActorSerializer()
    data = serializers.JSONField()


class EventFeedSerializer(serializers.Serializer):
    next = serializers.CharField(help_text="Cursor for the next poll; always present.")
    previous = serializers.CharField(allow_null=True)
    results = EventSerializer(many=True)


class EventFeedQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, help_text="The `next` of the previous page.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200, default=100)
    type = serializers.CharField(
        required=False, help_text="Event type or pattern, e.g. `crm.account.*`; comma-separated."
    )
    customer = serializers.IntegerField(required=False, help_text="CRM account id.")
    subject = serializers.RegexField(
        r"^[\w.]+:[\w-]+$",
        required=False,
        help_text="`<subject type>:<id>`, e.g. `crm.account:42`.",
    )
    occurred_after = serializers.DateTimeField(required=False)
    occurred_before = serializers.DateTimeField(required=False)
