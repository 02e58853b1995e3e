"""Pages of inventory."""

from integration.views import area_placeholder

index = area_placeholder("inventory")
