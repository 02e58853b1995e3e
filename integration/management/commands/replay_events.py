"""`manage.py replay_events --dead | --since ISO | --subscriber NAME`: apply deliveries again."""

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from integration import dispatch as bus
from integration.models import Delivery
from integration.tasks import queue_dispatch


class Command(BaseCommand):
    help = (
        "Make deliveries pending again and queue them. Filters combine: --dead for dead "
        "ones, --since for events since a date/time, --subscriber for one subscriber."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dead", action="store_true", help="Only dead deliveries.")
        parser.add_argument("--since", help="Events that occurred at or after (ISO date/time).")
        parser.add_argument("--subscriber", help="Only this subscriber's deliveries.")
        parser.add_argument("--event-type", help="Only events of this type.")

    def handle(self, *args, dead: bool, since: str | None, subscriber: str | None, **options):
        if not (dead or since or subscriber):
            raise CommandError("Say what to replay: --dead, --since and/or --subscriber.")
        deliveries = Delivery.objects.all()
        if dead:
            deliveries = deliveries.filter(status=Delivery.Status.DEAD)
        if since:
            deliveries = deliveries.filter(event__occurred_at__gte=self._moment(since))
        if subscriber:
            deliveries = deliveries.filter(subscriber=subscriber)
        if options.get("event_type"):
            deliveries = deliveries.filter(event__type=options["event_type"])
        ids = list(deliveries.values_list("pk", flat=True))
        count = bus.replay(Delivery.objects.filter(pk__in=ids))
        queue_dispatch(ids)
        self.stdout.write(f"Replaying {count} deliveries.")

    @staticmethod
    def _moment(value: str) -> datetime:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                raise CommandError(f"--since {value!r} is not an ISO date or date/time.")
            moment = datetime.combine(day, time.min)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment
