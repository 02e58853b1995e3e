"""Integration's API views: who am I, and API tokens."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integration.api.filters import FilterSet
from integration.api.serializers import ApiTokenSerializer, MeSerializer
from integration.models import ApiToken
from integration.selectors import api_token_list
from integration.services import api_token_revoke


class MeView(APIView):
    """The caller: user, groups and, when a token is used, its scopes and expiry."""

    api_scope = None  # any valid token may ask who it is
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        user = request.user
        token = request.auth if isinstance(request.auth, ApiToken) else None
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "email": user.email,
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "auth": "token" if token else "session",
            "token": (
                {
                    "name": token.name,
                    "prefix": token.prefix,
                    "scopes": token.scopes,
                    "expires_at": token.expires_at,
                }
                if token
                else None
            ),
        }
        return Response(MeSerializer(data).data)


class ApiTokenFilter(FilterSet):
    user = django_filters.NumberFilter(field_name="user_id", help_text="The owner's user id.")
    status = django_filters.ChoiceFilter(
        choices=[("active", "active"), ("revoked", "revoked")], method="filter_status"
    )

    class Meta:
        model = ApiToken
        fields = ["user"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(revoked_at__isnull=value == "active")


class ApiTokenViewSet(viewsets.ReadOnlyModelViewSet):
    """API tokens (metadata only: a token's secret is shown once, when it is created)."""

    queryset = ApiToken.objects.none()
    serializer_class = ApiTokenSerializer
    filterset_class = ApiTokenFilter
    search_fields = ["name", "prefix", "user__username"]
    ordering_fields = ["id", "created_at"]
    action_permissions = {"revoke": ["%(app_label)s.change_%(model_name)s"]}

    def get_queryset(self):
        return api_token_list()

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Revoke a token at once; requests with it are answered 401 from then on."""
        token = api_token_revoke(token=self.get_object())
        return Response(self.get_serializer(token).data)
