from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from proxima.accounts import audit
from proxima.accounts.enums import OrganisationKind, PartnerType
from proxima.accounts.services import create_organisation


class Command(BaseCommand):
    help = "Crée une organisation (bailleur, partenaire ou fédération)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("name")
        parser.add_argument("--kind", choices=OrganisationKind.values, default=OrganisationKind.LANDLORD)
        parser.add_argument("--partner-type", choices=PartnerType.values, default="")

    def handle(self, *args, slug, name, kind, partner_type, **options):
        try:
            with audit.acting_as(None, "commande : proxima create_organisation"):
                organisation = create_organisation(slug=slug, name=name, kind=kind, partner_type=partner_type)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Organisation créée : {organisation.slug}")
