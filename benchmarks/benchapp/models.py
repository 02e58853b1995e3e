"""Tables the benchmark subscriber writes to."""

from django.db import models


class Item(models.Model):
    """A read model keyed by subject, keeping the newest version (like the 360° view)."""

    key = models.CharField(max_length=64, unique=True)
    value = models.BigIntegerField()
    version = models.BigIntegerField()
    event_seq = models.BigIntegerField(help_text="The event last applied to this row.")
    applied_at = models.DateTimeField(help_text="clock_timestamp() when the handler ran.")

    def __str__(self) -> str:
        return f"{self.key}={self.value} (v{self.version})"


class Visible(models.Model):
    """When an applied event's transaction had committed (lag benchmark only).

    Written after the apply transaction commits, from the time an on-commit callback saw,
    so `visible_at` is when the effect became visible to other readers.
    """

    key = models.CharField(max_length=64)
    visible_at = models.FloatField(help_text="time.time() right after the commit.")

    def __str__(self) -> str:
        return f"{self.key} visible at {self.visible_at}"
