"""``proxima billing run --organisation SLUG --month 2026-11``: bill a month for every household.

Re-running a month replaces its lines in one transaction; a closed month is refused.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from proxima.accounts.models import Organisation
from proxima.billing import services
from proxima.billing.amounts import Month


class Command(BaseCommand):
    help = "Bill the services of a month to every household of an organisation (billing run)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        run = commands.add_parser("run", help="bill a month (replaces its lines unless it is closed)")
        run.add_argument("--organisation", required=True, help="the organisation's slug")
        run.add_argument("--month", required=True, help="the month billed, as YYYY-MM")

    def handle(self, *args, **options):
        try:
            month = Month.parse(options["month"])
        except ValueError:
            raise CommandError(f"--month : un mois AAAA-MM est attendu, pas « {options['month']} ».") from None
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"--organisation : aucun organisme « {options['organisation']} ».")
        try:
            run, timings = services.run_month(
                organisation=organisation, month=month, report=lambda message: self.stderr.write(message)
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"{organisation.slug} {month} : {run.households_total} ménages, {run.lines_count} lignes, "
            f"{run.total} € ; {run.refusals.get('total', 0)} refus "
            f"(calcul {timings.compute:.2f} s, enregistrement {timings.write:.2f} s)"
        )
        for item in run.refusals.get("by_rule", []):
            self.stdout.write(f"  refus « {item['rule']} » ×{item['count']} : {item['title']} ({item['reference']})")
