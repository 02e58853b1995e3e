"""Pages of support."""

from integration.views import area_placeholder

index = area_placeholder("support")
