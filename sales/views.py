"""Pages of sales."""

from integration.views import area_placeholder

index = area_placeholder("sales")
