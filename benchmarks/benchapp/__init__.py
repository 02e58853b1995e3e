"""A Django app used only by the benchmarks: one event type and one upsert subscriber.

Installed through TANDEM_EXTRA_APPS=benchmarks.benchapp (the benchmark scripts set it), so
the Celery workers they start load the same subscriber.
"""
