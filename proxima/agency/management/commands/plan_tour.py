"""``proxima plan-tour INSTANCE.json``: plan the tours of a JSON instance (docs/plan-tour.md), print the plan as JSON.

An instance with horizon fields (weeks, households, frequencies, household weights, manual schedule) is planned over
its weeks for the households reached (proxima/agency/horizon.py); otherwise for the total value of the stops.
"""

import json
from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError

from proxima.agency.horizon import HorizonInstance, plan_horizon_instance, read_any_instance
from proxima.agency.planning import InstanceError, PlanParams, plan_tours


class Command(BaseCommand):
    help = "Plan the mobile agency's tours of a JSON instance (docs/plan-tour.md) and print the plan as JSON."

    def add_arguments(self, parser):
        parser.add_argument("instance", help="JSON instance file")
        parser.add_argument("--time-limit", type=float, help="seconds (default: the instance's, else 10)")
        parser.add_argument("--seed", type=int, help="random seed (default: the instance's, else 0)")

    def handle(self, *args, **options):
        try:
            instance = read_any_instance(options["instance"])
            time_limit = instance.params.time_limit if options["time_limit"] is None else options["time_limit"]
            seed = instance.params.seed if options["seed"] is None else options["seed"]
            if isinstance(instance, HorizonInstance):
                result = plan_horizon_instance(instance, replace(instance.params, time_limit=time_limit, seed=seed))
            else:
                params = PlanParams(time_limit, seed)
                plan = plan_tours(instance.depot, instance.stops, instance.days, instance.travel_times, params)
                result = plan.to_dict()
        except InstanceError as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(f"{options['instance']}: {exc}") from exc
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
