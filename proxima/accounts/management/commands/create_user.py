import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from proxima.accounts import audit
from proxima.accounts.enums import Role
from proxima.accounts.models import Organisation
from proxima.accounts.services import create_user


class Command(BaseCommand):
    help = "Crée un compte utilisateur dans une organisation, avec son rôle."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--organisation", required=True, help="identifiant (slug) de l'organisation")
        parser.add_argument("--role", choices=Role.values, required=True)
        parser.add_argument("--password", help="mot de passe (sinon demandé, ou lien de réinitialisation)")
        parser.add_argument("--no-password", action="store_true", help="l'utilisateur choisira son mot de passe")

    def handle(self, *args, email, organisation, role, password, no_password, **options):
        try:
            org = Organisation.objects.get(slug=organisation)
        except Organisation.DoesNotExist:
            raise CommandError(f"Aucune organisation d'identifiant « {organisation} ».") from None
        if not password and not no_password:
            password = getpass.getpass("Mot de passe : ")
        try:
            if password:
                validate_password(password)
            with audit.acting_as(None, "commande : proxima create_user"):
                user = create_user(organisation=org, email=email, role=role, password=password)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Compte créé : {user.email} ({user.get_role_display()}, {org.name})")
