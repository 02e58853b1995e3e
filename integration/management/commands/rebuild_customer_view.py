"""`manage.py rebuild_customer_view`: the 360° view rebuilt from the event log."""

from django.core.management.base import BaseCommand

from integration.customer_view.maintenance import rebuild


class Command(BaseCommand):
    help = (
        "Empty the 360° customer view and replay every event of the log, in commit order, "
        "through the view's appliers; then recompute every customer's figures."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="Events per transaction (5000)."
        )

    def handle(self, *args, batch_size: int, **options):
        verbosity = options["verbosity"]

        def progress(count: int, seconds: float) -> None:
            if verbosity > 1:
                self.stdout.write(f"  {count} events, {count / seconds:.0f} events/s")

        result = rebuild(batch_size=batch_size, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt the customer view: {result.events} events, {result.customers} "
                f"customers in {result.seconds:.1f} s ({result.events_per_second:.0f} events/s)."
            )
        )
