"""Pages of integration: the 360° customer view under /customers/."""

from django.urls import path

from integration import customer_views

app_name = "integration"

urlpatterns = [
    path("", customer_views.customer_index, name="customer_index"),
    path("<int:account_id>/", customer_views.customer_detail, name="customer_detail"),
    path("<int:account_id>/timeline/", customer_views.customer_timeline, name="customer_timeline"),
]
