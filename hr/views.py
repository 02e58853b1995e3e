"""Pages of hr."""

from integration.views import area_placeholder

index = area_placeholder("hr")
