"""``proxima export data-inclusion --organisation SLUG -o DIR``: the catalogue in the data·inclusion schema."""

import argparse
import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from proxima.accounts import audit
from proxima.accounts.enums import AuditAction
from proxima.accounts.models import Organisation
from proxima.offer import exports


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {value} » n'est pas une date AAAA-MM-JJ.") from None


class Command(BaseCommand):
    help = (
        "Exporte des données d'un bailleur. data-inclusion : le catalogue de services (structures et services) "
        "au schéma data·inclusion v1, dans DIR/structures.json et DIR/services.json."
    )

    def add_arguments(self, parser):
        formats = parser.add_subparsers(dest="what", required=True, title="exports")
        di = formats.add_parser("data-inclusion", help="le catalogue au schéma data·inclusion (v1)")
        di.add_argument("--organisation", required=True, help="identifiant (slug) du bailleur")
        di.add_argument("-o", "--output", required=True, help="dossier où écrire structures.json et services.json")
        di.add_argument(
            "--source",
            help="identifiant du producteur dans data·inclusion (par défaut : proxima-<identifiant du bailleur>)",
        )
        di.add_argument(
            "--date",
            type=_date,
            help="les services ouverts ce jour-là, AAAA-MM-JJ (par défaut : aujourd'hui)",
        )

    def handle(self, *args, what, **options):
        slug = options["organisation"]
        try:
            organisation = Organisation.objects.landlords().get(slug=slug)
        except Organisation.DoesNotExist:
            raise CommandError(f"Aucun bailleur d'identifiant « {slug} ».") from None
        today = options["date"] or timezone.localdate()
        directory = Path(options["output"])
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"{directory} existe et n'est pas un dossier.")
        try:
            structures, services = exports.write_data_inclusion(
                organisation, directory, today=today, source=options["source"]
            )
        except OSError as error:
            raise CommandError(f"Impossible d'écrire dans {directory} : {error.strerror}.") from None
        audit.record(
            action=AuditAction.EXPORT,
            organisation_id=organisation.pk,
            target_type="offer.Service",
            target_repr="catalogue data·inclusion",
            source=f"commande : proxima export data-inclusion -o {directory}",
            details={"structures": len(structures), "services": len(services), "date": today.isoformat()},
        )
        self.stdout.write(
            f"{len(structures)} structure(s) dans {directory / exports.STRUCTURES_FILE}, "
            f"{len(services)} service(s) dans {directory / exports.SERVICES_FILE}."
        )
