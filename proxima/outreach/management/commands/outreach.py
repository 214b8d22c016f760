"""``proxima outreach escalate [--organisation SLUG] [--today YYYY-MM-DD] [--wet-run]``: the daily escalation."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from proxima.accounts import audit
from proxima.accounts.models import Organisation
from proxima.outreach import services
from proxima.outreach.enums import AlertLevel


class Command(BaseCommand):
    help = (
        "Applique la règle d'escalade du programme de suivi des aînés : contacts manqués d'affilée → alerte au "
        "référent, puis au partenaire si cela dure. Sans --wet-run, affiche les alertes à lever sans rien écrire. "
        "Sans effet la deuxième fois : une alerte n'est levée qu'une fois par série de contacts manqués."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, title="actions")
        escalate = actions.add_parser("escalate", help="lever les alertes dues (à lancer chaque jour)")
        escalate.add_argument("--organisation", help="identifiant (slug) d'un bailleur ; par défaut tous")
        escalate.add_argument("--today", help="date du jour AAAA-MM-JJ (par défaut aujourd'hui)")
        escalate.add_argument("--wet-run", action="store_true", help="lever les alertes et envoyer les e-mails")

    def handle(self, *args, action, organisation=None, today=None, wet_run=False, **options):
        org = None
        if organisation:
            org = Organisation.objects.landlords().filter(slug=organisation).first()
            if org is None:
                raise CommandError(f"Aucun bailleur d'identifiant « {organisation} ».")
        try:
            day = dt.date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(f"--today : date attendue au format AAAA-MM-JJ, pas « {today} ».") from None
        with audit.acting_as(None, "commande : proxima outreach escalate"):
            pending = services.escalate(today=day, organisation=org, wet_run=wet_run)
        for item in pending:
            self.stdout.write(
                f"suivi n° {item.enrolment_id} : alerte au {AlertLevel(item.level).label}, "
                f"{item.state.failures_in_row} contact(s) manqué(s) d'affilée depuis le {item.state.first_failure_on:%d/%m/%Y}"
            )
        verb = "levée(s)" if wet_run else "à lever (simulation : relancez avec --wet-run pour les lever)"
        self.stderr.write(f"{len(pending)} alerte(s) {verb}.")
