"""Invitations: one single-use code per targeted household, created once, exported for a mail merge."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.needs import invitations as service
from proxima.needs.enums import SurveyStatus
from proxima.needs.invitations import (
    count_invitations,
    create_invitations,
    ensure_invitation,
    normalise_code,
    targeted_households,
)
from proxima.needs.models import CODE_ALPHABET, CODE_LENGTH, Invitation
from tests.accounts.factories import UserFactory
from tests.households.factories import HouseholdFactory
from tests.needs.factories import InvitationFactory, ResponseFactory, small_survey
from tests.territory.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sites(landlord):
    return SiteFactory(organisation=landlord, name="Les Glycines"), SiteFactory(organisation=landlord, name="Le Parc")


def households_on(site, count):
    return [HouseholdFactory(dwelling__building__site=site) for _ in range(count)]


def codes_of(survey):
    return dict(Invitation.objects.filter(survey=survey).values_list("household_id", "code"))


class TestCreateInvitations:
    def test_one_code_per_targeted_household_only(self, landlord, sites):
        """Households of the survey's sites get a code; those of other sites do not."""
        targeted, other = households_on(sites[0], 2), households_on(sites[1], 1)
        survey = small_survey(landlord, sites=[sites[0]])
        assert create_invitations(survey=survey) == 2
        assert set(codes_of(survey)) == {h.pk for h in targeted}
        assert other[0].pk not in codes_of(survey)

    def test_running_twice_keeps_the_same_codes(self, landlord, sites):
        """The second run creates nothing and changes no code already printed."""
        households_on(sites[0], 3)
        survey = small_survey(landlord, sites=[sites[0]])
        create_invitations(survey=survey)
        first = codes_of(survey)
        assert create_invitations(survey=survey) == 0
        assert codes_of(survey) == first

    def test_households_imported_later_get_their_code(self, landlord, sites):
        households_on(sites[0], 2)
        survey = small_survey(landlord, sites=[sites[0]])
        create_invitations(survey=survey)
        first = codes_of(survey)
        newcomer = households_on(sites[0], 1)[0]
        assert create_invitations(survey=survey) == 1
        codes = codes_of(survey)
        assert set(codes) == set(first) | {newcomer.pk}
        assert {pk: codes[pk] for pk in first} == first

    def test_codes_are_made_of_the_unambiguous_alphabet(self, landlord, sites):
        """Eight characters, none of 0/O, 1/I/L: residents type them from paper."""
        households_on(sites[0], 5)
        survey = small_survey(landlord, sites=[sites[0]])
        create_invitations(survey=survey)
        codes = list(codes_of(survey).values())
        assert len(set(codes)) == 5
        for code in codes:
            assert len(code) == CODE_LENGTH
            assert set(code) <= set(CODE_ALPHABET)
            assert not set(code) & set("01OIL")

    def test_survey_without_targets_invites_every_household_of_its_landlord(self, landlord, other_landlord, sites):
        mine = households_on(sites[0], 1) + households_on(sites[1], 1)
        HouseholdFactory(dwelling__building__site=SiteFactory(organisation=other_landlord))
        survey = small_survey(landlord)
        create_invitations(survey=survey)
        assert set(codes_of(survey)) == {h.pk for h in mine}

    def test_survey_targeting_a_commune(self, landlord, sites):
        households = households_on(sites[0], 1)
        survey = small_survey(landlord)
        survey.communes.set([sites[0].commune])
        create_invitations(survey=survey)
        assert set(codes_of(survey)) >= {households[0].pk}

    def test_closed_survey_gets_no_code(self, landlord, sites):
        households_on(sites[0], 1)
        survey = small_survey(landlord, sites=[sites[0]], status=SurveyStatus.CLOSED)
        with pytest.raises(ValidationError, match="close"):
            create_invitations(survey=survey)
        assert not Invitation.objects.exists()

    def test_chunks_cover_every_household(self, landlord, sites, monkeypatch):
        """Big batches are inserted in chunks: none is left out at the edges."""
        monkeypatch.setattr(service, "CHUNK_SIZE", 2)
        households_on(sites[0], 5)
        survey = small_survey(landlord, sites=[sites[0]])
        assert create_invitations(survey=survey) == 5
        assert Invitation.objects.filter(survey=survey).count() == 5

    def test_queries_do_not_grow_with_households(self, landlord, sites, django_assert_num_queries):
        """100,000 households must cost a few queries per chunk, not a few per household."""
        households_on(sites[0], 2)
        households_on(sites[1], 6)
        small = small_survey(landlord, sites=[sites[0]])
        big = small_survey(landlord, sites=list(sites))
        expected = len(_queries_of(small))
        with django_assert_num_queries(expected):
            create_invitations(survey=big)
        assert Invitation.objects.filter(survey=big).count() == 8

    def test_a_code_already_taken_is_drawn_again(self, landlord, sites, monkeypatch):
        """A drawn code that exists already (another survey's) is replaced before the insert."""
        taken = InvitationFactory(survey=small_survey(landlord), household=households_on(sites[1], 1)[0]).code
        households_on(sites[0], 1)
        draws = iter([taken, "ABCDEFGH"])
        monkeypatch.setattr(service, "new_invitation_code", lambda: next(draws))
        survey = small_survey(landlord, sites=[sites[0]])
        create_invitations(survey=survey)
        assert list(codes_of(survey).values()) == ["ABCDEFGH"]

    def test_a_collision_at_insert_time_is_retried(self, landlord, sites, monkeypatch):
        """If another batch takes a code between the check and the insert, the chunk is drawn again."""
        taken = InvitationFactory(survey=small_survey(landlord), household=households_on(sites[1], 1)[0]).code
        households_on(sites[0], 1)
        real = service._fresh_codes
        calls = []

        def racing(count):
            calls.append(count)
            return [taken] if len(calls) == 1 else real(count)

        monkeypatch.setattr(service, "_fresh_codes", racing)
        survey = small_survey(landlord, sites=[sites[0]])
        assert create_invitations(survey=survey) == 1
        assert len(calls) == 2 and codes_of(survey) and taken not in codes_of(survey).values()

    def test_repeated_collisions_give_up_and_create_nothing(self, landlord, sites, monkeypatch):
        taken = InvitationFactory(survey=small_survey(landlord), household=households_on(sites[1], 1)[0]).code
        households_on(sites[0], 1)
        monkeypatch.setattr(service, "_fresh_codes", lambda count: [taken] * count)
        survey = small_survey(landlord, sites=[sites[0]])
        with pytest.raises(IntegrityError):
            create_invitations(survey=survey)
        assert not Invitation.objects.filter(survey=survey).exists()

    def test_one_audit_event_counts_the_codes(self, landlord, sites):
        households_on(sites[0], 3)
        survey = small_survey(landlord, sites=[sites[0]])
        user = UserFactory(organisation=landlord, role=Role.STAFF)
        create_invitations(survey=survey, by=user)
        event = AuditEvent.objects.get(target_type="needs.Invitation")
        assert (event.action, event.actor, event.details["count"]) == (AuditAction.CREATE, user, 3)


def _queries_of(survey):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        create_invitations(survey=survey)
    return context.captured_queries


class TestEnsureInvitation:
    def test_created_once(self, landlord, sites):
        household = households_on(sites[0], 1)[0]
        survey = small_survey(landlord, sites=[sites[0]])
        first = ensure_invitation(survey=survey, household=household)
        assert ensure_invitation(survey=survey, household=household) == first
        assert Invitation.objects.count() == 1


class TestCounts:
    def test_targeted_invited_used_and_responded(self, landlord, sites):
        households = households_on(sites[0], 3)
        survey = small_survey(landlord, sites=[sites[0]])
        InvitationFactory(survey=survey, household=households[0])
        used = InvitationFactory(survey=survey, household=households[1])
        ResponseFactory(survey=survey, household=households[1], invitation=used)
        Invitation.objects.filter(pk=used.pk).update(used_at="2026-11-02T10:00:00Z")
        counts = count_invitations(survey)
        assert (counts.targeted, counts.invited, counts.missing, counts.used, counts.responded) == (3, 2, 1, 1, 1)
        assert targeted_households(survey).count() == 3


@pytest.mark.parametrize(
    ("typed", "code"), [("abcd2345", "ABCD2345"), (" ABCD 2345 ", "ABCD2345"), ("abcd-2345", "ABCD2345")]
)
def test_normalise_code(typed, code):
    """Spaces, dashes and lower case typed from the letter do not matter."""
    assert normalise_code(typed) == code


class TestInvitationsPage:
    @pytest.fixture
    def staff(self, client, landlord):
        user = UserFactory(organisation=landlord, role=Role.STAFF)
        client.force_login(user)
        return user

    def test_counts_and_create_button(self, client, staff, landlord, sites):
        households_on(sites[0], 2)
        survey = small_survey(landlord, sites=[sites[0]])
        url = reverse("needs:paper_invitations", args=[survey.pk])
        page = client.get(url).content.decode()
        assert "2 ménages sans code" in page
        response = client.post(reverse("needs:paper_invitations_create", args=[survey.pk]), follow=True)
        assert "2 codes créés." in response.content.decode()
        response = client.post(reverse("needs:paper_invitations_create", args=[survey.pk]), follow=True)
        assert "ont déjà leur code : aucun code créé" in response.content.decode()
        assert Invitation.objects.filter(survey=survey).count() == 2

    def test_closed_survey_message(self, client, staff, landlord, sites):
        households_on(sites[0], 1)
        survey = small_survey(landlord, sites=[sites[0]], status=SurveyStatus.CLOSED)
        response = client.post(reverse("needs:paper_invitations_create", args=[survey.pk]), follow=True)
        assert "Cette enquête est close" in response.content.decode()
        assert not Invitation.objects.exists()

    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_export_for_mail_merge(self, client, staff, landlord, sites, fmt):
        """The codes with lease references, no names; the export is audited."""
        household = households_on(sites[0], 1)[0]
        survey = small_survey(landlord, sites=[sites[0]])
        invitation = InvitationFactory(survey=survey, household=household)
        response = client.get(reverse("needs:paper_invitations_export", args=[survey.pk]), {"format": fmt})
        content = b"".join(response.streaming_content)
        if fmt == "csv":
            lines = content.decode("utf-8-sig").splitlines()
            assert lines[0] == "code;référence du bail;logement;résidence;commune;créé le;utilisé le"
            assert lines[1].startswith(f"{invitation.code};{household.reference};")
        else:
            assert content[:2] == b"PK"
        event = AuditEvent.objects.get(action=AuditAction.EXPORT)
        assert (event.actor, event.details["count"], event.details["format"]) == (staff, 1, fmt)

    def test_unknown_format_is_a_404(self, client, staff, landlord):
        survey = small_survey(landlord)
        assert (
            client.get(reverse("needs:paper_invitations_export", args=[survey.pk]), {"format": "pdf"}).status_code
            == 404
        )
