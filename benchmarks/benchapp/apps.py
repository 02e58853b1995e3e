"""App configuration of the benchmark fixtures."""

import os

from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    name = "benchmarks.benchapp"
    label = "benchapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        if os.environ.get("BENCH_ONLY_SUBSCRIBERS"):
            _keep_only_subscribers(os.environ["BENCH_ONLY_SUBSCRIBERS"].split(","))
        if os.environ.get("BENCH_DISPATCH_FILE"):
            _use_dispatch_file(os.environ["BENCH_DISPATCH_FILE"])
        if os.environ.get("BENCH_RECORD_VISIBLE") == "1":
            from celery.signals import task_postrun

            from benchmarks.benchapp import handlers

            task_postrun.connect(
                handlers.flush_visible, dispatch_uid="benchapp.flush_visible", weak=False
            )


def _use_dispatch_file(path: str) -> None:
    """Make the dispatch task run another version of integration/dispatch.py (A/B runs)."""
    import importlib.util
    import sys

    from integration import tasks

    name = "integration.dispatch_under_test"
    spec = importlib.util.spec_from_file_location(name, path)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tasks.bus = module


def _keep_only_subscribers(names: list[str]) -> None:
    """Drop every other subscriber from this process's registry (runs at start-up only).

    Set in the publishing process, it means events get deliveries for these subscribers
    only: the bus measured with nothing but the benchmark's upsert.
    """
    from integration import events

    for name in list(events._subscribers):
        if name not in names:
            del events._subscribers[name]
    events._matching_subscribers.cache_clear()
