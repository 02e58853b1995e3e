"""App configuration for sales."""

from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = "Sales"
    default_auto_field = "django.db.models.BigAutoField"
