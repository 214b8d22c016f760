import datetime as dt
from decimal import Decimal

import factory

from proxima.funding.enums import BudgetKind, ExpenseType
from proxima.funding.models import BudgetLine, FundingLine, FundingPlan, Project, SavedSearch, Scheme
from tests.accounts.factories import OrganisationFactory


class SchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scheme

    slug = factory.Sequence(lambda n: f"dispositif-{n}")
    name = factory.Sequence(lambda n: f"Dispositif {n}")
    funders = "Fonds d'essai"
    beneficiaries = factory.LazyFunction(lambda: ["social_landlord"])
    source_url = "https://example.org/source"
    checked_on = dt.date(2026, 1, 15)
    fingerprint = factory.Sequence(lambda n: f"v{n}")

    class Params:
        cglls = factory.Trait(
            rate_max=Decimal("40"),
            cap_per_project=Decimal("100000"),
            cap_group="cglls-fsi",
            org_cap_amount=Decimal("500000"),
            org_cap_months=36,
            public_cofinancing_max_rate=Decimal("80"),
            min_project_cost=Decimal("3000"),
            start_before_request_allowed=False,
            max_duration_months=36,
        )
        closed = factory.Trait(closes_on=dt.date(2026, 3, 11))


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    slug = factory.Sequence(lambda n: f"projet-{n}")
    name = factory.Sequence(lambda n: f"Projet {n}")
    themes = factory.LazyFunction(lambda: ["mobilite"])
    start_on = dt.date(2026, 6, 1)
    request_on = dt.date(2026, 4, 1)
    duration_months = 24

    @factory.post_generation
    def communes(self, create, extracted, **kwargs):
        if create:
            self.communes.set(extracted if extracted is not None else ["36044"])  # Châteauroux

    @factory.post_generation
    def plan(self, create, extracted, **kwargs):
        if create:
            FundingPlan.objects.get_or_create(project=self)


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    project = factory.SubFactory(ProjectFactory)
    year = 2026
    kind = BudgetKind.STAFF
    expense_type = ExpenseType.OPERATING
    label = "Agent d'accueil"
    fte = Decimal("1")
    amount = Decimal("100000")


class SavedSearchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedSearch

    user = factory.SubFactory("tests.accounts.factories.UserFactory")
    organisation = factory.SelfAttribute("user.organisation")
    name = "Mobilité en Indre"
    criteria = factory.LazyFunction(lambda: {"theme": "mobilite", "department": "36"})


class FundingLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingLine

    plan = factory.LazyAttribute(lambda o: ProjectFactory().plan)
    scheme = factory.SubFactory(SchemeFactory)
    amount_planned = Decimal("10000")
