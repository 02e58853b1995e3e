"""Pages of integration: the 360° customer view under /customers/."""

from django.urls import path

from integration import views

app_name = "integration"

urlpatterns = [
    path("", views.customer_index, name="customer_index"),
]
