"""``proxima funding match|load-schemes|alerts|deadlines``: the funding app from the command line.

``match`` prints every scheme with ``eligible`` and its ``reasons`` (JSON, or text); ``load-schemes`` loads the
seed set (dry run unless ``--wet-run``); ``alerts`` sends the saved searches' e-mails that are due; ``deadlines``
lists the applications whose scheme's deadline is near.
"""

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from proxima.accounts.models import Organisation
from proxima.funding import alerts, services
from proxima.funding.models import Project


class Command(BaseCommand):
    help = "Funding schemes: match a project, load the seed set, send alerts, list deadlines, remind them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        match = sub.add_parser("match", help="Match a project to every scheme, with the reasons.")
        match.add_argument("--organisation", required=True, help="organisation slug")
        match.add_argument("--project", required=True, help="project slug")
        match.add_argument("--format", choices=["json", "text"], default="text")
        match.add_argument("--today", type=dt.date.fromisoformat, help="AAAA-MM-JJ (default: today)")
        load = sub.add_parser("load-schemes", help="Load the schemes of a JSON file (default: the seed set).")
        load.add_argument("path", nargs="?", default=str(services.SCHEMES_FILE))
        load.add_argument("--wet-run", action="store_true", help="write (default: dry run)")
        send = sub.add_parser("alerts", help="Send the e-mail alerts of the saved searches that are due.")
        send.add_argument("--today", type=dt.date.fromisoformat)
        deadlines = sub.add_parser("deadlines", help="Applications whose scheme's deadline is near.")
        deadlines.add_argument("--organisation", required=True)
        deadlines.add_argument("--days", type=int, default=60)
        deadlines.add_argument("--today", type=dt.date.fromisoformat)
        remind = sub.add_parser("reminders", help="E-mail the planned applications whose deadline is near (daily).")
        remind.add_argument("--days", type=int, default=alerts.REMINDER_DAYS)
        remind.add_argument("--today", type=dt.date.fromisoformat)

    def handle(self, *args, **options):
        today = options.get("today") or timezone.localdate()
        action = options["action"]
        if action == "match":
            self._match(options, today)
        elif action == "load-schemes":
            self._load(options)
        elif action == "alerts":
            sent = alerts.send_alerts(today=today)
            self.stdout.write(f"{sent} alerte(s) envoyée(s).")
        elif action == "reminders":
            sent = alerts.send_deadline_reminders(today=today, days=options["days"])
            self.stdout.write(f"{sent} rappel(s) d'échéance envoyé(s).")
        else:
            organisation = self._organisation(options["organisation"])
            for row in alerts.upcoming_deadlines(organisation, today=today, days=options["days"]):
                self.stdout.write(f"{row.deadline:%d/%m/%Y}  {row.project}  ·  {row.scheme}  ({row.status})")

    def _organisation(self, slug):
        try:
            return Organisation.objects.get(slug=slug)
        except Organisation.DoesNotExist:
            raise CommandError(f"Organisation inconnue : « {slug} ».") from None

    def _match(self, options, today):
        organisation = self._organisation(options["organisation"])
        try:
            project = Project.objects.for_organisation(organisation).get(slug=options["project"])
        except Project.DoesNotExist:
            raise CommandError(f"Projet inconnu pour {organisation.slug} : « {options['project']} ».") from None
        matches = services.match_project(project, today=today)
        if options["format"] == "json":
            payload = {
                "organisation": organisation.slug,
                "project": project.slug,
                "today": today.isoformat(),
                "schemes": [m.to_dict() for m in matches],
            }
            self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"{project.name} ({organisation.name}), au {today:%d/%m/%Y}\n")
        for m in matches:
            self.stdout.write(f"{'ÉLIGIBLE' if m.eligible else 'non éligible'} · {m.scheme.name}")
            for reason in m.reasons:
                self.stdout.write(f"  {'+' if reason.ok else '-'} {reason.text}")
            self.stdout.write("")

    def _load(self, options):
        try:
            entries = services.read_schemes_file(options["path"])
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(f"{options['path']} : fichier illisible ({error}).") from error
        try:
            report = services.load_schemes(entries, wet_run=options["wet_run"], source=options["path"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        if report.errors:
            raise CommandError("Rien n'a été chargé :\n" + "\n".join(report.errors))
        verb = "" if options["wet_run"] else " (essai : rien n'est écrit, ajoutez --wet-run)"
        self.stdout.write(
            f"{len(report.created)} créé(s), {len(report.updated)} modifié(s), "
            f"{len(report.unchanged)} inchangé(s){verb}."
        )
