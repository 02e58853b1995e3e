"""REST API of inventory, under /api/v1/inventory/."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = router.urls
