"""URLs of integration's API, under /api/v1/integration/."""

from rest_framework.routers import DefaultRouter

from integration.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("api-tokens", views.ApiTokenViewSet, basename="api-token")

urlpatterns = router.urls
