"""Pages of crm."""

from integration.views import area_placeholder

index = area_placeholder("crm")
