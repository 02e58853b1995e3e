"""App configuration of the bus test fixtures."""

from django.apps import AppConfig


class BusAppConfig(AppConfig):
    name = "tests.busapp"
    label = "busapp"
    default_auto_field = "django.db.models.BigAutoField"
