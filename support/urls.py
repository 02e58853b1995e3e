"""Pages of support, under /support/."""

from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.index, name="index"),
]
