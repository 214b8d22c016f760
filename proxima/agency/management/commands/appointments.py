"""``proxima appointments forget [--wet-run] [--today YYYY-MM-DD]``: the daily erasure of appointments' names.

Erases the name and phone number of the appointments of visits more than 30 days old
(:mod:`proxima.agency.retention`). A dry run by default: it lists what it would erase and changes nothing;
``--wet-run`` erases. Safe to run again: nothing is erased twice. Run it once a day (cron, systemd timer).
"""

from django.core.management.base import BaseCommand

from proxima.accounts import audit
from proxima.agency.retention import APPOINTMENT_RETENTION_DAYS, forget_appointments
from proxima.core.commands import add_today_argument, today_from


class Command(BaseCommand):
    help = (
        f"Rendez-vous de l'agence mobile : efface le nom et le téléphone {APPOINTMENT_RETENTION_DAYS} jours après "
        "le passage. Simulation par défaut ; --wet-run pour effacer."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, title="actions")
        forget = actions.add_parser("forget", help="effacements du jour")
        forget.add_argument("--wet-run", action="store_true", help="effacer (sinon : simulation)")
        add_today_argument(forget)

    def handle(self, *args, action, wet_run=False, today=None, **options):
        day = today_from(today)
        with audit.acting_as(None, "commande : proxima appointments forget"):
            found = forget_appointments(today=day, wet_run=wet_run)
        verb = "effacé" if wet_run else "à effacer"
        for appointment in found:
            visit = appointment.visit
            self.stdout.write(
                f"{verb} : rendez-vous n° {appointment.pk} ({visit.day.plan.organisation.name}, {visit.stop.name}, "
                f"le {visit.day.date:%d/%m/%Y} à {appointment.starts_at:%H:%M})"
            )
        if wet_run:
            self.stdout.write(f"{len(found)} rendez-vous effacé(s) : nom et téléphone.")
        else:
            self.stdout.write(
                f"Simulation : {len(found)} rendez-vous à effacer. Rien n'a été écrit ; relancez avec --wet-run."
            )
