"""URLs of the sales API, under /api/v1/sales/."""

from rest_framework.routers import DefaultRouter

from sales.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("price-lists", views.PriceListViewSet, basename="sales-price-list")
router.register("quotes", views.QuoteViewSet, basename="sales-quote")
router.register("orders", views.OrderViewSet, basename="sales-order")
router.register("contracts", views.ContractViewSet, basename="sales-contract")

urlpatterns = router.urls
