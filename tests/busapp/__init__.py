"""A Django app used only by the test suite: event types and subscribers that exercise the bus.

Installed through TANDEM_EXTRA_APPS (set for pytest in pyproject.toml), so Celery worker
processes started by the tests load the same subscribers.
"""
