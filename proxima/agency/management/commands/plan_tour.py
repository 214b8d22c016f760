"""``proxima plan-tour INSTANCE.json``: plan the tours of a JSON instance (docs/plan-tour.md), print the plan as JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from proxima.agency.planning import InstanceError, PlanParams, plan_tours, read_instance


class Command(BaseCommand):
    help = "Plan the mobile agency's tours of a JSON instance (docs/plan-tour.md) and print the plan as JSON."

    def add_arguments(self, parser):
        parser.add_argument("instance", help="JSON instance file")
        parser.add_argument("--time-limit", type=float, help="seconds (default: the instance's, else 10)")
        parser.add_argument("--seed", type=int, help="random seed (default: the instance's, else 0)")

    def handle(self, *args, **options):
        try:
            instance = read_instance(options["instance"])
            params = PlanParams(
                instance.params.time_limit if options["time_limit"] is None else options["time_limit"],
                instance.params.seed if options["seed"] is None else options["seed"],
            )
            plan = plan_tours(instance.depot, instance.stops, instance.days, instance.travel_times, params)
        except InstanceError as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(f"{options['instance']}: {exc}") from exc
        self.stdout.write(json.dumps(plan.to_dict(), indent=2, ensure_ascii=False))
