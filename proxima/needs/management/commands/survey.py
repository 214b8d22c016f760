"""``proxima survey import FILE --organisation SLUG`` and ``proxima survey export ID --format xlsform -o FILE.xlsx``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from proxima.accounts import audit
from proxima.accounts.models import Organisation
from proxima.needs import survey_services
from proxima.needs.models import Survey
from proxima.needs.xlsform import XLSFormError


class Command(BaseCommand):
    help = (
        "Importe une enquête d'un formulaire XLSForm (tout ou rien), ou exporte une enquête en XLSForm. "
        "À l'import, l'identifiant de l'enquête est écrit sur la sortie standard ; les problèmes, un par ligne, "
        "sur la sortie d'erreur."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, title="actions")
        importing = actions.add_parser("import", help="importer un formulaire XLSForm (.xlsx)")
        importing.add_argument("file", help="le formulaire .xlsx")
        importing.add_argument("--organisation", required=True, help="identifiant (slug) du bailleur")
        importing.add_argument(
            "--survey",
            type=int,
            help="identifiant d'une enquête du bailleur : le formulaire en devient une nouvelle version",
        )
        exporting = actions.add_parser("export", help="exporter une enquête en XLSForm")
        exporting.add_argument("id", type=int, help="identifiant de l'enquête")
        exporting.add_argument("--format", choices=["xlsform"], default="xlsform", help="format du fichier (xlsform)")
        exporting.add_argument(
            "--survey-version",
            type=int,
            dest="version_number",
            help="numéro de version (par défaut : la version en cours)",
        )
        exporting.add_argument("-o", "--output", required=True, help="fichier .xlsx à écrire")

    def handle(self, *args, action, **options):
        if action == "import":
            self.import_form(options["file"], organisation=options["organisation"], survey_id=options["survey"])
        else:
            self.export_form(options["id"], version_number=options["version_number"], output=options["output"])

    def import_form(self, file: str, *, organisation: str, survey_id: int | None):
        try:
            org = Organisation.objects.landlords().get(slug=organisation)
        except Organisation.DoesNotExist:
            raise CommandError(f"Aucun bailleur d'identifiant « {organisation} ».") from None
        survey = None
        if survey_id is not None:
            survey = Survey.objects.for_organisation(org).filter(pk=survey_id).first()
            if survey is None:
                raise CommandError(f"Le bailleur « {organisation} » n'a pas d'enquête d'identifiant {survey_id}.")
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Impossible de lire {file} : {error.strerror}.") from None
        try:
            with audit.acting_as(None, f"commande : proxima survey import {file}"):
                if survey is None:
                    survey = survey_services.import_survey(organisation=org, data=data, file_name=Path(file).name)
                else:
                    version = survey_services.import_version(survey=survey, data=data, file_name=Path(file).name)
                    self.stderr.write(f"Version {version.number} de l'enquête {survey.pk} importée.")
        except XLSFormError as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(error.problems)} problème(s) : rien n'a été importé.") from None
        self.stdout.write(str(survey.pk))

    def export_form(self, survey_id: int, *, version_number: int | None, output: str):
        survey = Survey.objects.select_related("current_version").filter(pk=survey_id).first()
        if survey is None:
            raise CommandError(f"Aucune enquête d'identifiant {survey_id}.")
        version = survey.current_version
        if version_number is not None:
            version = survey.versions.filter(number=version_number).first()
        if version is None:
            wanted = f"de version {version_number}" if version_number is not None else "encore de questions"
            raise CommandError(f"L'enquête {survey_id} n'a pas {wanted} à exporter.")
        try:
            Path(output).write_bytes(survey_services.export_xlsform(version=version))
        except OSError as error:
            raise CommandError(f"Impossible d'écrire {output} : {error.strerror}.") from None
        self.stdout.write(output)
