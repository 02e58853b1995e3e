"""Pages of sales, under /sales/."""

from django.urls import path

from sales import views

app_name = "sales"

urlpatterns = [
    path("", views.index, name="index"),
]
