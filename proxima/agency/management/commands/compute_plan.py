"""``proxima compute-plan PLAN_ID``: compute a tour plan of the database here, with its progress in the terminal.

The same computation as the background task (agency.services.run_planning), for an administrator who wants to
watch it or run it without a worker. The plan's page shows the same progress meanwhile.
"""

from django.core.management.base import BaseCommand, CommandError

from proxima.agency import services
from proxima.agency.enums import PlanKind, PlanStatus
from proxima.agency.models import TourPlan


class Command(BaseCommand):
    help = "Compute a tour plan (by its number) and show the progress."

    def add_arguments(self, parser):
        parser.add_argument("plan_id", type=int, help="number of the plan (in its page's address)")

    def handle(self, *args, plan_id, **options):
        plan = TourPlan.objects.filter(pk=plan_id).first()
        if plan is None:
            raise CommandError(f"No plan number {plan_id}.")
        if plan.kind != PlanKind.PLANNED:
            raise CommandError(f"Plan {plan_id} is entered by hand: there is nothing to compute.")
        if plan.published_at is not None:
            raise CommandError(f"Plan {plan_id} is published: unpublish it before computing it again.")

        def report(percent: int, message: str) -> None:
            bar = "#" * (percent // 5)
            self.stdout.write(f"[{bar:<20}] {percent:3d} % {message}")

        outcome = services.run_planning(plan_id, report=report)
        if outcome["status"] != PlanStatus.READY:
            raise CommandError(outcome["error"])
        self.stdout.write(self.style.SUCCESS(f"Coverage: {outcome['total_coverage']:.1f}"))
