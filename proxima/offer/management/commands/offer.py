"""``proxima offer alerts``: e-mail each landlord's staff the partnership agreements coming to an end."""

import argparse
import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from proxima.accounts import audit
from proxima.offer import services


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {value} » n'est pas une date AAAA-MM-JJ.") from None


class Command(BaseCommand):
    help = (
        "alerts : prévient par e-mail les administrateurs et l'équipe de proximité de chaque bailleur des "
        "conventions de partenariat qui entrent dans leur délai d'alerte (une fois par date de fin). "
        "Sans --wet-run, affiche seulement ce qui serait envoyé. À lancer chaque jour (cron)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, title="actions")
        alerts = actions.add_parser("alerts", help="alerter des conventions arrivant à échéance")
        alerts.add_argument("--wet-run", action="store_true", help="envoyer les e-mails (sinon : simulation)")
        alerts.add_argument("--date", type=_date, help="le jour de référence, AAAA-MM-JJ (par défaut : aujourd'hui)")

    def handle(self, *args, action, wet_run=False, **options):
        today = options["date"] or timezone.localdate()
        with audit.acting_as(None, "commande : proxima offer alerts"):
            report = services.send_agreement_alerts(today=today, wet_run=wet_run)
        if not report:
            self.stdout.write("Aucune convention n'entre dans son délai d'alerte.")
            return
        for organisation, agreements, recipients in report:
            verb = "envoyé à" if wet_run else "serait envoyé à"
            if not recipients:
                self.stderr.write(
                    f"{organisation.name} : {len(agreements)} convention(s) à échéance, mais aucun administrateur "
                    "ni membre de l'équipe de proximité actif à prévenir."
                )
                continue
            self.stdout.write(f"{organisation.name} : {len(agreements)} convention(s), {verb} {', '.join(recipients)}")
            for agreement in agreements:
                self.stdout.write(
                    f"  - {agreement.partner.name} : {agreement.object} (fin le {agreement.end_date:%d/%m/%Y})"
                )
        if not wet_run:
            self.stdout.write("Simulation : rien n'a été envoyé. Relancez avec --wet-run pour envoyer.")
