"""App configuration for hr."""

from django.apps import AppConfig


class HRConfig(AppConfig):
    name = "hr"
    verbose_name = "HR"
    default_auto_field = "django.db.models.BigAutoField"
