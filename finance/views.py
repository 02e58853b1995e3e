"""Pages of finance."""

from integration.views import area_placeholder

index = area_placeholder("finance")
