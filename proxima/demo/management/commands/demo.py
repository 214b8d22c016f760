import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from proxima.accounts import audit
from proxima.demo.services import DEMO_PASSWORD, build_demo
from proxima.imports.report_text import summary_lines


class Command(BaseCommand):
    help = (
        "Construit le bailleur de démonstration (données synthétiques sur des communes réelles de l'Indre "
        "et du Cher) puis sert l'application sur http://127.0.0.1:8000."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="construire sans lancer le serveur")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--dwellings", type=int, default=3000)
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument(
            "--agency-time-limit",
            type=int,
            default=20,
            help="temps de calcul de la tournée de l'agence mobile, en secondes (20 par défaut)",
        )

    def handle(self, *args, no_serve, seed, dwellings, addrport, agency_time_limit, **options):
        call_command("migrate", verbosity=0, interactive=False)
        bars = {}

        def progress(step, done, total):
            bar = bars.get(step)
            if bar is None:
                bar = bars[step] = tqdm(desc=f"Démo : {step}", unit=" lignes", file=sys.stderr, total=total)
            bar.total = total
            bar.n = done
            bar.refresh()

        with audit.acting_as(None, "commande : proxima demo"):
            result = build_demo(seed=seed, dwellings=dwellings, agency_time_limit=agency_time_limit, progress=progress)
        for bar in bars.values():
            bar.close()
        for report in (result.stock, result.households):
            if not report.applied:
                for issue in report.issues[:20]:
                    self.stderr.write(str(issue))
                raise CommandError("La démo n'a pas pu être importée.")
            for line in summary_lines(report):
                self.stdout.write(line)

        if result.needs:
            survey = result.needs.survey
            self.stdout.write(
                f"Enquête « {survey.title} » : {survey.responses.count()} réponses "
                f"(web, papier, téléphone, visite, tablette), {survey.invitations.count()} codes de courrier."
            )
        if result.agency:
            for plan in (result.agency.manual, result.agency.planned):
                reached = len(plan.result.get("reached_household_ids", []))
                self.stdout.write(
                    f"Agence mobile, « {plan.name} » : {reached} ménages atteints, "
                    f"couverture pondérée {plan.result.get('total_coverage', 0):.0f}"
                    + (" (publiée)" if plan.published_at else "")
                )
        if result.offer:
            self.stdout.write(
                f"Offre de services : {len(result.offer.services)} services, {len(result.offer.partners)} partenaires, "
                f"bouquet « {result.offer.bundle.name} »."
            )
        if result.outreach:
            self.stdout.write(
                f"Suivi des aînés, « {result.outreach.programme.name} » : {result.outreach.enrolled} personnes suivies, "
                f"{result.outreach.contacts} contacts enregistrés, {result.outreach.alerts} alertes "
                "(bénévole de l'association : benevole@demo.proxima.invalid)"
            )
        if result.concierge:
            c = result.concierge
            self.stdout.write(
                f"Conciergerie : {c.requests} demandes, {c.loans} prêts, {c.office_hours} permanences, "
                f"{c.activities} activités"
            )
        if result.billing:
            run = result.billing.run
            self.stdout.write(
                f"Facturation de {run.month:%m/%Y} : {run.lines_count} lignes de charge, {run.total} € "
                f"(charge récupérable, accord Wi-Fi, abonnements consentis)."
            )
        self.stdout.write("")
        self.stdout.write(f"Bailleur de démonstration : {result.organisation.name} (données synthétiques)")
        self.stdout.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
        for email, role, org in result.logins:
            self.stdout.write(f"  {email:<36} {role:<22} {org}")
        if not no_serve:
            call_command("serve", addrport=addrport)
