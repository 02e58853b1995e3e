"""The REST API, version 1: one include per app, the schema and its Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from integration.api.views import MeView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger's start-up script as a file: the CSP forbids inline code.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("me/", MeView.as_view(), name="api-me"),
    path("integration/", include("integration.api.urls")),
    path("crm/", include("crm.api.urls")),
    path("inventory/", include("inventory.api.urls")),
    path("sales/", include("sales.api.urls")),
]
