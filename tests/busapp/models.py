"""Tables the test subscribers write to, so tests can count what was applied."""

from django.db import models


class Application(models.Model):
    """One row per handler run that committed: duplicates here mean "applied twice"."""

    event_seq = models.BigIntegerField()
    subscriber = models.CharField(max_length=100)

    def __str__(self) -> str:
        return f"{self.subscriber} applied {self.event_seq}"


class Projection(models.Model):
    """A read model keyed by subject, keeping the newest version (like the 360° view)."""

    key = models.CharField(max_length=64, unique=True)
    value = models.IntegerField()
    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.key}={self.value} (v{self.version})"


class Switch(models.Model):
    """Named flags tests flip to make a handler fail, then succeed."""

    name = models.CharField(max_length=50, unique=True)
    on = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name}: {'on' if self.on else 'off'}"
