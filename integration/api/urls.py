"""URLs of integration's API, under /api/v1/integration/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from integration.api import customers, events, views
from integration.api import webhooks as webhook_views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("api-tokens", views.ApiTokenViewSet, basename="api-token")
router.register("webhooks", webhook_views.WebhookSubscriptionViewSet, basename="webhook")

urlpatterns = [
    path("event-types/", events.EventTypeListView.as_view(), name="event-types"),
    path("events/", events.EventFeedView.as_view(), name="events"),
    path("customers/<int:account_id>/", customers.CustomerDetailView.as_view(), name="customer"),
    path(
        "customers/<int:account_id>/timeline/",
        customers.CustomerTimelineView.as_view(),
        name="customer-timeline",
    ),
    *router.urls,
]
