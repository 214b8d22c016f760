import factory

from proxima.accounts.enums import OrganisationKind, PartnerType, Role
from proxima.accounts.models import Organisation, User


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Faker("company", locale="fr_FR")
    kind = OrganisationKind.LANDLORD

    class Params:
        partner = factory.Trait(kind=OrganisationKind.PARTNER, partner_type=PartnerType.ASSOCIATION)
        federation = factory.Trait(kind=OrganisationKind.FEDERATION)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.STAFF
    password = factory.django.Password("correct horse battery staple")
