"""The real API plus small POST endpoints whose work can be counted, for idempotency tests."""

import time
import uuid

from django.urls import include, path
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from integration.services import api_token_create

PREFIX = "api/v1/test-idempotency/"
SLOW_SECONDS = 0.5


class CreateTokenView(APIView):
    """Creates one API token named after the body's `name` (400 for a blank name)."""

    api_scope = None
    permission_classes = [permissions.IsAuthenticated]
    delay = 0.0

    def post(self, request):
        time.sleep(self.delay)
        token, _ = api_token_create(
            user=request.user, name=str(request.data.get("name", "")), scopes=["*"]
        )
        return Response(
            {"id": token.pk, "name": token.name, "prefix": token.prefix},
            status=201,
            headers={"Location": f"/api/v1/integration/api-tokens/{token.pk}/"},
        )


class BrokenView(APIView):
    api_scope = None
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request):
        raise RuntimeError("the work failed")


class PublicView(APIView):
    """Anonymous callers welcome: answers a fresh random id each time it really runs."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    def post(self, request):
        return Response({"run": uuid.uuid4().hex}, status=201)


urlpatterns = [
    path(f"{PREFIX}tokens/", CreateTokenView.as_view()),
    path(f"{PREFIX}slow-tokens/", CreateTokenView.as_view(delay=SLOW_SECONDS)),
    path(f"{PREFIX}broken/", BrokenView.as_view()),
    path(f"{PREFIX}public/", PublicView.as_view()),
    path("api/v1/", include("config.api_urls")),
]

handler500 = "integration.views.server_error"
