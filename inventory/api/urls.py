"""REST API of inventory, under /api/v1/inventory/."""

from rest_framework.routers import DefaultRouter

from inventory.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("products", views.ProductViewSet, basename="inventory-product")
router.register("warehouses", views.WarehouseViewSet, basename="inventory-warehouse")
router.register("stock-moves", views.StockMoveViewSet, basename="inventory-stock-move")
router.register("suppliers", views.SupplierViewSet, basename="inventory-supplier")
router.register("reorder-rules", views.ReorderRuleViewSet, basename="inventory-reorder-rule")
router.register("purchase-orders", views.PurchaseOrderViewSet, basename="inventory-purchase-order")

urlpatterns = router.urls
