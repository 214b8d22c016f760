import json
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from proxima.accounts import audit
from proxima.accounts.models import Organisation
from proxima.imports.engine import run_import
from proxima.imports.kinds import IMPORTERS
from proxima.imports.report_text import summary_lines


class Command(BaseCommand):
    help = (
        "Importe le patrimoine (stock) ou les ménages (households) d'un fichier CSV ou XLSX. "
        "Tout ou rien : si une ligne est invalide, rien n'est enregistré (sauf --skip-invalid)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="stock ou households")
        parser.add_argument("file", help="fichier .csv ou .xlsx")
        parser.add_argument("--organisation", required=True, help="identifiant (slug) du bailleur")
        parser.add_argument("--mapping", help="fichier de correspondance des colonnes (TOML)")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="enregistrer les lignes valides et signaler les autres",
        )
        parser.add_argument("--dry-run", action="store_true", help="tout vérifier sans rien enregistrer")
        parser.add_argument("--json", action="store_true", help="écrire le rapport complet en JSON")
        parser.add_argument("--no-progress", action="store_true", help="sans barre de progression")

    def handle(self, *args, kind, file, organisation, mapping, skip_invalid, dry_run, **options):
        try:
            org = Organisation.objects.landlords().get(slug=organisation)
        except Organisation.DoesNotExist:
            raise CommandError(f"Aucun bailleur d'identifiant « {organisation} ».") from None

        bar = None
        if not options["no_progress"]:
            bar = tqdm(desc=f"Import {kind}", unit=" lignes", file=sys.stderr, dynamic_ncols=True)

        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        with audit.acting_as(None, f"commande : proxima import {kind} {file}"):
            report = run_import(
                IMPORTERS[kind],
                file,
                organisation=org,
                mapping_path=mapping,
                skip_invalid=skip_invalid,
                dry_run=dry_run,
                progress=progress if bar else None,
            )
        if bar:
            bar.close()

        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            for issue in report.issues:
                self.stderr.write(str(issue))
            if report.issues_total > len(report.issues):
                self.stderr.write(f"… et {report.issues_total - len(report.issues)} autre(s) erreur(s).")
            for line in summary_lines(report):
                self.stdout.write(line)
        if not report.applied and not (dry_run and report.ok):
            sys.exit(1)
