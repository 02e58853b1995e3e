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
