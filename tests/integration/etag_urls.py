"""A tiny ETag-enabled model viewset over API tokens, for tests of integration.api.etag."""

from django.urls import include, path
from rest_framework import serializers, viewsets
from rest_framework.routers import SimpleRouter

from integration.api.etag import ETagMixin
from integration.models import ApiToken


class TokenNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class ETagTokenViewSet(ETagMixin, viewsets.ModelViewSet):
    queryset = ApiToken.objects.all()
    serializer_class = TokenNameSerializer
    http_method_names = ["get", "put", "patch", "head", "options"]


router = SimpleRouter()
router.register("etag-tokens", ETagTokenViewSet, basename="etag-token")

urlpatterns = [path("api/v1/test/", include(router.urls))]
