"""`manage.py check_customer_view`: the 360° view compared with every app's fact source."""

from django.core.management.base import BaseCommand, CommandError

from integration.customer_view.maintenance import check


class Command(BaseCommand):
    help = (
        "Recompute each 360° figure from the domain tables (the apps' fact sources) and list "
        "every customer whose view differs. Exits with code 1 if any does."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--step", type=int, default=5000, help="Account ids compared per round (5000)."
        )
        parser.add_argument(
            "--limit", type=int, default=1000, help="Drifts listed at most (all are counted)."
        )

    def handle(self, *args, step: int, limit: int, **options):
        drifts = 0
        for drift in check(step=step):
            drifts += 1
            if drifts <= limit:
                self.stdout.write(
                    f"account {drift.account_id}: {drift.figure}: view={drift.view_value!s} "
                    f"{drift.source}={drift.source_value!s}"
                )
        if drifts:
            raise CommandError(f"{drifts} drift(s) between the customer view and the sources.")
        self.stdout.write(self.style.SUCCESS("The customer view matches every fact source."))
