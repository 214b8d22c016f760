"""``proxima referrals expire [--wet-run] [--today YYYY-MM-DD]``: the daily run of the referrals.

Expires the referrals left unanswered past their last day to answer, then e-mails the reminders of those about
to expire. A dry run by default: it lists what it would do and changes nothing; ``--wet-run`` writes and sends.
Safe to run again the same day: nothing expires or is reminded twice. Run it once a day (cron, systemd timer).
"""

from django.core.management.base import BaseCommand

from proxima.accounts import audit
from proxima.core.commands import add_today_argument, today_from
from proxima.offer.referrals import run_daily


class Command(BaseCommand):
    help = (
        "Orientations : fait expirer celles restées sans réponse après leur délai et relance les partenaires "
        "avant l'expiration. Simulation par défaut ; --wet-run pour écrire et envoyer les e-mails."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, title="actions")
        expire = actions.add_parser("expire", help="expirations et relances du jour")
        expire.add_argument(
            "--wet-run", action="store_true", help="écrire les expirations et envoyer les e-mails (sinon : simulation)"
        )
        add_today_argument(expire)

    def handle(self, *args, action, wet_run=False, today=None, **options):
        day = today_from(today)
        with audit.acting_as(None, "commande : proxima referrals expire"):
            run = run_daily(today=day, wet_run=wet_run)
        verb_expire = "expirée" if wet_run else "à faire expirer"
        verb_remind = "relancée" if wet_run else "à relancer"
        for referral in run.expired:
            self.stdout.write(
                f"{verb_expire} : orientation n° {referral.pk} ({referral.organisation.name} → {referral.partner.name}, "
                f"réponse attendue au plus tard le {referral.expires_on:%d/%m/%Y})"
            )
        for referral in run.reminded:
            self.stdout.write(
                f"{verb_remind} : orientation n° {referral.pk} ({referral.organisation.name} → {referral.partner.name}, "
                f"expire après le {referral.expires_on:%d/%m/%Y})"
            )
        summary = (
            f"{len(run.expired)} orientation(s) {'expirée(s)' if wet_run else 'à faire expirer'}, "
            f"{len(run.reminded)} {'relancée(s)' if wet_run else 'à relancer'}"
        )
        if wet_run:
            self.stdout.write(f"{summary}, {run.emails} e-mail(s) envoyé(s).")
        else:
            self.stdout.write(f"Simulation : {summary}. Rien n'a été écrit ni envoyé ; relancez avec --wet-run.")
