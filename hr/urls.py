"""Pages of hr, under /hr/."""

from django.urls import path

from hr import views

app_name = "hr"

urlpatterns = [
    path("", views.index, name="index"),
]
