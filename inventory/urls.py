"""Pages of inventory, under /inventory/."""

from django.urls import path

from inventory.views import catalogue, purchasing, stock

app_name = "inventory"

urlpatterns = [
    path("", catalogue.index, name="index"),
    path("products/new/", catalogue.product_create, name="product_create"),
    path("products/<int:pk>/", catalogue.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", catalogue.product_edit, name="product_edit"),
    path("stock/", stock.warehouse_report, name="warehouse_report"),
    path("stock/low/", stock.low_stock, name="low_stock"),
    path("stock/moves/new/", stock.move_create, name="move_create"),
    path("reorder/propose/", stock.propose_reorders, name="propose_reorders"),
    path("purchase-orders/", purchasing.po_list, name="po_list"),
    path("purchase-orders/new/", purchasing.po_create, name="po_create"),
    path("purchase-orders/<int:pk>/", purchasing.po_detail, name="po_detail"),
    path("purchase-orders/<int:pk>/send/", purchasing.po_send, name="po_send"),
    path("purchase-orders/<int:pk>/receive/", purchasing.po_receive, name="po_receive"),
    path("purchase-orders/<int:pk>/cancel/", purchasing.po_cancel, name="po_cancel"),
]
