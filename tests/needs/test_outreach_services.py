"""Outreach services: the facts loaded from the database, recording a contact, settings and agents' sites."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.households.enums import ConsentPurpose, PersonRole
from proxima.households.models import Interaction
from proxima.needs import outreach_services as services
from proxima.needs.enums import OutreachOutcome
from proxima.needs.models import OutreachContact, OutreachSettings
from proxima.territory.models import FranceServicesSite
from tests.accounts.factories import UserFactory
from tests.households.factories import ConsentFactory, HouseholdFactory, PersonFactory
from tests.needs.factories import InvitationFactory, ResponseFactory, small_survey
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def household(site, **kwargs):
    return HouseholdFactory(dwelling__building__site=site, **kwargs)


def interaction(household, day, **kwargs):
    return Interaction.objects.create(
        organisation=household.organisation,
        household=household,
        occurred_at=at(day),
        channel="phone",
        source="accueil",
        **kwargs,
    )


@pytest.fixture
def staff(landlord):
    return UserFactory(organisation=landlord, role=Role.STAFF)


@pytest.fixture
def near_site(landlord):
    """A site right at the France services of Châteauroux - Saint-Jean (ANCT id 2602): 0 km."""
    services_site = FranceServicesSite.objects.get(pk=2602)
    return SiteFactory(organisation=landlord, latitude=services_site.latitude, longitude=services_site.longitude)


@pytest.fixture
def far_site(landlord):
    """A site in the Atlantic, 45.5 N 3 W: over 100 km from any France services site."""
    return SiteFactory(organisation=landlord, latitude=45.5, longitude=-3.0, name="Résidence du Large")


class TestLoadFacts:
    def test_facts_of_a_small_world(self, landlord, staff, near_site, far_site):
        """Persons, arrears, car, distance, last contact (ignoring unanswered calls and the future) and survey."""
        alone = household(far_site, has_car=False, move_in_date=dt.date(2010, 3, 1))
        PersonFactory(household=alone, birth_year=1940, role=PersonRole.REFERENCE)
        family = household(near_site, arrears_amount=Decimal("300.00"), has_car=None)
        PersonFactory(household=family, birth_year=1999, role=PersonRole.REFERENCE)
        PersonFactory(household=family, birth_year=1990, role=PersonRole.SPOUSE)
        PersonFactory(household=family, birth_year=2020, role=PersonRole.CHILD)
        interaction(family, dt.date(2026, 1, 10))
        unanswered = interaction(family, dt.date(2026, 3, 1))
        OutreachContact.objects.create(
            organisation=landlord,
            household=family,
            outcome=OutreachOutcome.NOT_REACHED,
            contacted_at=at(dt.date(2026, 3, 1)),
            interaction=unanswered,
        )
        interaction(family, dt.date(2026, 7, 1))  # after today: an appointment, not yet a contact
        survey = small_survey(landlord)
        OutreachSettings.objects.create(organisation=landlord, survey=survey)
        InvitationFactory(survey=survey, household=alone)
        InvitationFactory(survey=survey, household=family)
        ResponseFactory(survey=survey, household=family, needs=["energy_poverty", "isolation"])
        household(SiteFactory(organisation=UserFactory().organisation))  # another landlord's

        facts = {
            f.household_id: f for f in services.load_outreach_facts(organisation=landlord, user=staff, today=TODAY)
        }

        assert set(facts) == {alone.pk, family.pk}
        a, f = facts[alone.pk], facts[family.pk]
        assert (a.site_id, a.persons_count, a.eldest_birth_year, a.holder_birth_year) == (far_site.pk, 1, 1940, 1940)
        assert (a.has_car, a.arrears_amount, a.last_contact_on, a.moved_in_on) == (False, 0, None, dt.date(2010, 3, 1))
        assert a.services_km > 100
        assert (a.invited, a.answered, a.survey_needs) == (True, False, frozenset())
        assert (f.persons_count, f.eldest_birth_year, f.holder_birth_year) == (3, 1990, 1999)
        assert (f.has_car, f.arrears_amount) == (None, Decimal("300.00"))
        assert f.services_km == pytest.approx(0, abs=0.01)
        assert f.last_contact_on == dt.date(2026, 1, 10)
        assert (f.invited, f.answered, f.survey_needs) == (True, True, frozenset({"energy_poverty", "isolation"}))

    def test_field_agent_gets_only_their_sites(self, landlord, near_site, far_site):
        """A field agent's facts are those of the sites entrusted to them."""
        agent = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        far_site.agents.add(agent)
        mine, _ = household(far_site), household(near_site)
        facts = services.load_outreach_facts(organisation=landlord, user=agent, today=TODAY)
        assert [f.household_id for f in facts] == [mine.pk]

    def test_site_filter(self, landlord, staff, near_site, far_site):
        """Only the households of the given sites."""
        mine, _ = household(near_site), household(far_site)
        facts = services.load_outreach_facts(organisation=landlord, user=staff, today=TODAY, site_ids={near_site.pk})
        assert [f.household_id for f in facts] == [mine.pk]

    def test_query_count_does_not_grow(self, landlord, staff, near_site, far_site, django_assert_num_queries):
        """Seven queries with a reference survey, however many households, persons and contacts."""
        survey = small_survey(landlord)
        OutreachSettings.objects.create(organisation=landlord, survey=survey)

        def populate(n):
            for i in range(n):
                h = household(near_site if i % 2 else far_site)
                PersonFactory.create_batch(2, household=h)
                interaction(h, dt.date(2026, 1, 1 + i))
                InvitationFactory(survey=survey, household=h)

        populate(2)
        # settings, households, last contacts, sites, France services, responses, invitations
        with django_assert_num_queries(7):
            assert len(services.load_outreach_facts(organisation=landlord, user=staff, today=TODAY)) == 2
        populate(8)
        with django_assert_num_queries(7):
            assert len(services.load_outreach_facts(organisation=landlord, user=staff, today=TODAY)) == 10

    def test_default_settings_without_a_saved_row(self, landlord):
        """No settings saved yet: 12 months, 10 km, no survey, and nothing is written."""
        settings = services.get_outreach_settings(landlord)
        assert (settings.pk, settings.no_contact_months, settings.far_km, settings.survey) == (None, 12, 10, None)


class TestRecordContact:
    def test_creates_the_contact_and_the_interaction(self, landlord, staff, near_site):
        """Both rows, linked; the interaction says "aller vers" and the outcome in French."""
        h = household(near_site)
        when = at(dt.date(2026, 6, 1))
        contact = services.record_outreach_contact(
            household=h,
            outcome="need_found",
            channel="home_visit",
            reasons=["non_respondent", "elderly_alone"],
            by=staff,
            when=when,
            note="  Souhaite de l'aide pour ses papiers.  ",
        )
        contact.refresh_from_db()
        assert (contact.organisation, contact.household, contact.outcome) == (landlord, h, "need_found")
        assert contact.reasons == ["elderly_alone", "non_respondent"]
        assert (contact.contacted_at, contact.recorded_by) == (when, staff)
        i = contact.interaction
        assert (i.household, i.organisation, i.occurred_at, i.channel) == (h, landlord, when, "home_visit")
        assert (i.source, i.outcome, i.note, i.recorded_by) == (
            "aller vers",
            "besoin repéré",
            "Souhaite de l'aide pour ses papiers.",
            staff,
        )

    def test_all_or_nothing(self, staff, near_site, monkeypatch):
        """If the contact cannot be saved, the interaction is not kept either."""
        h = household(near_site)

        def fail(*args, **kwargs):
            raise RuntimeError("disque plein")

        monkeypatch.setattr(OutreachContact, "save", fail)
        with pytest.raises(RuntimeError):
            services.record_outreach_contact(
                household=h, outcome="reached", channel="phone", reasons=[], by=staff, when=at(dt.date(2026, 6, 1))
            )
        assert not Interaction.objects.filter(household=h).exists()

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"outcome": "happy"}, "Résultat inconnu : « happy »."),
            ({"channel": "pigeon"}, "Canal inconnu : « pigeon »."),
            ({"reasons": ["elderly_alone", "rich"]}, "Motif inconnu : rich."),
            ({"when": timezone.now() + dt.timedelta(days=2)}, "La date du contact ne peut pas être dans le futur."),
            ({"note": "x" * 501}, "500"),
        ],
    )
    def test_invalid_input_writes_nothing(self, staff, near_site, changes, message):
        """An unknown outcome, channel or reason, a future date or a long note: refused, nothing written."""
        h = household(near_site)
        arguments = {
            "household": h,
            "outcome": "reached",
            "channel": "phone",
            "reasons": [],
            "by": staff,
            "when": at(dt.date(2026, 6, 1)),
            **changes,
        }
        with pytest.raises(ValidationError, match=message):
            services.record_outreach_contact(**arguments)
        assert not Interaction.objects.exists() and not OutreachContact.objects.exists()

    @pytest.mark.parametrize(("outcome", "still_listed"), [("reached", False), ("not_reached", True)])
    def test_a_contact_takes_the_household_off_the_no_contact_rule(
        self, landlord, staff, near_site, outcome, still_listed
    ):
        """Reached: off the list (its only reason was no contact); nobody answered: still due."""
        h = household(near_site, move_in_date=dt.date(2010, 1, 1))
        today = timezone.localdate()
        flags, _ = services.flag_outreach(organisation=landlord, user=staff, today=today)
        assert [(f.household_id, f.reasons) for f in flags] == [(h.pk, ("no_recent_contact",))]
        services.record_outreach_contact(
            household=h, outcome=outcome, channel="phone", reasons=["no_recent_contact"], by=staff, when=timezone.now()
        )
        flags, _ = services.flag_outreach(organisation=landlord, user=staff, today=today)
        assert bool(flags) is still_listed


class TestSettings:
    def test_update_creates_then_updates(self, landlord):
        """One row per organisation, created on first save."""
        survey = small_survey(landlord)
        services.update_outreach_settings(
            organisation=landlord, no_contact_months=6, far_km=Decimal("12.5"), survey=survey
        )
        services.update_outreach_settings(organisation=landlord, no_contact_months=9, far_km=Decimal("8"), survey=None)
        settings = OutreachSettings.objects.get(organisation=landlord)
        assert (settings.no_contact_months, settings.far_km, settings.survey) == (9, Decimal("8.0"), None)

    def test_another_landlords_survey_is_refused(self, landlord, other_landlord):
        """The reference survey must be the organisation's own."""
        with pytest.raises(ValidationError, match="n'appartient pas"):
            services.update_outreach_settings(
                organisation=landlord, no_contact_months=6, far_km=Decimal("10"), survey=small_survey(other_landlord)
            )
        assert not OutreachSettings.objects.exists()


class TestAssignSiteAgents:
    def test_assigns_removes_and_audits(self, landlord, near_site, far_site):
        """Set, diff and audit: one event per changed site naming who was added and removed."""
        first = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        second = UserFactory(organisation=landlord, role=Role.FIELD_AGENT)
        near_site.agents.add(first)
        changed = services.assign_site_agents(
            organisation=landlord, coverage={near_site.pk: [second.pk], far_site.pk: []}
        )
        assert changed == 1
        assert list(near_site.agents.all()) == [second]
        assert not far_site.agents.exists()
        event = AuditEvent.objects.get(action=AuditAction.UPDATE, target_type="territory.Site")
        assert (event.target_id, event.details) == (
            str(near_site.pk),
            {"agents_added": [second.pk], "agents_removed": [first.pk]},
        )

    @pytest.mark.parametrize("who", ["staff", "other_field_agent", "inactive_field_agent"])
    def test_only_active_field_agents_of_the_organisation(self, landlord, other_landlord, near_site, who):
        """A staff member, another landlord's field agent or an inactive account cannot be given a site."""
        user = {
            "staff": lambda: UserFactory(organisation=landlord, role=Role.STAFF),
            "other_field_agent": lambda: UserFactory(organisation=other_landlord, role=Role.FIELD_AGENT),
            "inactive_field_agent": lambda: UserFactory(organisation=landlord, role=Role.FIELD_AGENT, is_active=False),
        }[who]()
        with pytest.raises(ValidationError, match="seuls les agents de terrain"):
            services.assign_site_agents(organisation=landlord, coverage={near_site.pk: [user.pk]})
        assert not near_site.agents.exists()

    def test_another_landlords_site_is_refused(self, landlord, other_landlord):
        """A site id of another organisation is unknown here."""
        theirs = SiteFactory(organisation=other_landlord)
        with pytest.raises(ValidationError, match="Résidence inconnue"):
            services.assign_site_agents(organisation=landlord, coverage={theirs.pk: []})


class TestDeclinedOutreach:
    """A household that withdrew its consent to courtesy calls and visits is not put on the call list."""

    def test_withdrawn_consent_keeps_the_household_off_the_list(self, landlord, staff, near_site):
        declined = household(near_site, reference="REFUS")
        changed_mind = household(near_site, reference="REVENU")
        silent = household(near_site, reference="MUET")
        for h in (declined, changed_mind, silent):
            PersonFactory(household=h, role=PersonRole.REFERENCE, birth_year=1940)
        ConsentFactory(household=declined, purpose=ConsentPurpose.OUTREACH, withdrawn_on=dt.date(2026, 3, 1))
        ConsentFactory(household=changed_mind, purpose=ConsentPurpose.OUTREACH, withdrawn_on=dt.date(2026, 2, 1))
        ConsentFactory(household=changed_mind, purpose=ConsentPurpose.OUTREACH, given_on=dt.date(2026, 4, 1))
        facts = services.load_outreach_facts(organisation=landlord, user=staff, today=TODAY)
        assert {f.household_id for f in facts} == {changed_mind.pk, silent.pk}
        assert list(services.declined_outreach(landlord.households.all())) == [declined]

    def test_the_list_says_how_many_declined(self, client, landlord, staff, near_site):
        ConsentFactory(
            household=household(near_site), purpose=ConsentPurpose.OUTREACH, withdrawn_on=dt.date(2026, 3, 1)
        )
        client.force_login(staff)
        content = client.get(reverse("needs:outreach_list")).content.decode()
        assert "1 ménage ne figure pas sur la liste : il a retiré son accord" in content
