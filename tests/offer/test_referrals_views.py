"""Referral pages: the landlord's list, page and forms, the partner's inbox, the delays; audit and isolation."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.households.enums import ConsentChannel, InteractionChannel
from proxima.households.services import withdraw_consent
from proxima.offer.enums import ReferralStatus, RefusalReason
from proxima.offer.models import Referral, ReferralSettings
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.offer.factories import PartnerFactory, ServiceFactory
from tests.offer.factories_referrals import ReferralFactory

pytestmark = pytest.mark.django_db

LIST = reverse("referrals:list")
INBOX = reverse("referrals:inbox")


def detail(referral):
    return reverse("referrals:detail", args=[referral.pk])


def inbox_detail(referral):
    return reverse("referrals:inbox_detail", args=[referral.pk])


def export_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.fixture
def referral(household, service):
    return ReferralFactory(household=household, service=service, person_name="Jeanne Dupont", need="digital_help")


class TestList:
    def test_lists_without_names(self, client, staff, referral):
        """The list shows the lease reference, the service and the status, not the person's name; it is audited."""
        client.force_login(staff)
        content = client.get(LIST).content.decode()
        assert "BAIL-ORIENT-1" in content and "Atelier numérique du mardi" in content
        assert "Jeanne Dupont" not in content
        event = AuditEvent.objects.get(action=AuditAction.LIST, target_repr="liste des orientations")
        assert event.details["ids"] == [referral.household_id]

    def test_filters(self, client, staff, referral, landlord, service):
        """Filters by status, partner, need, dates and number or lease reference."""
        other = ReferralFactory(organisation=landlord, service=service, accepted=True)
        client.force_login(staff)

        def shown(**query):
            return [r.pk for r in client.get(LIST, query).context["page"]]

        assert shown(status="accepted") == [other.pk]
        assert shown(need="digital_help") == [referral.pk]
        assert shown(q="BAIL-ORIENT") == [referral.pk]
        assert shown(q=f"n° {other.pk}") == [other.pk]
        assert shown(partner=service.partner_id) == [other.pk, referral.pk]
        tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
        assert shown(sent_from=tomorrow) == []

    def test_other_landlord_sees_none(self, client, referral, other_landlord):
        """Another landlord's staff see none of our referrals."""
        client.force_login(UserFactory(organisation=other_landlord, role=Role.ADMIN))
        assert list(client.get(LIST).context["page"]) == []
        assert client.get(detail(referral)).status_code == 404

    def test_field_agent_sees_their_sites(self, client, field_agent, referral, landlord, service):
        """A field agent sees the referrals of their sites' households and those they sent, not the others."""
        client.force_login(field_agent)
        assert list(client.get(LIST).context["page"]) == []
        referral.household.dwelling.building.site.agents.add(field_agent)
        mine = ReferralFactory(organisation=landlord, service=service, sent_by=field_agent)
        assert {r.pk for r in client.get(LIST).context["page"]} == {referral.pk, mine.pk}

    def test_export(self, client, staff, referral):
        """CSV export of the filtered list, no names, audited."""
        client.force_login(staff)
        rows = export_rows(client.get(LIST, {"format": "csv"}))
        assert rows[0][:4] == ["n°", "envoyée le", "état", "bail"]
        assert rows[1][2:4] == ["envoyée, en attente", "BAIL-ORIENT-1"]
        assert "Jeanne Dupont" not in str(rows)
        assert AuditEvent.objects.filter(action=AuditAction.EXPORT, target_repr="liste des orientations").exists()
        xlsx = client.get(LIST, {"format": "xlsx"})
        assert xlsx["Content-Disposition"].endswith('orientations.xlsx"')
        assert b"".join(xlsx.streaming_content)[:2] == b"PK"  # a zip: an XLSX workbook
        xlsx.close()

    def test_constant_queries(self, client, staff, landlord, service, django_assert_num_queries):
        """The number of queries does not grow with the referrals listed."""
        client.force_login(staff)
        for _ in range(2):
            ReferralFactory(
                household=HouseholdFactory(dwelling__building__site__organisation=landlord), service=service
            )
        # session, user, partners of the filter, count, page, audit, counts by status
        with django_assert_num_queries(7):
            client.get(LIST)
        for _ in range(8):
            ReferralFactory(
                household=HouseholdFactory(dwelling__building__site__organisation=landlord), service=service
            )
            ReferralFactory(organisation=landlord, service=service)
        with django_assert_num_queries(7):
            response = client.get(LIST)
        assert len(response.context["page"]) == 18


class TestDetail:
    def test_shows_and_audits(self, client, staff, referral):
        """The page names the person and their contact, shows the history; the household read is audited."""
        client.force_login(staff)
        content = client.get(detail(referral)).content.decode()
        assert "Jeanne Dupont" in content and "0639981234" in content
        assert "Accepter l'orientation" in content and "Refuser l'orientation" in content
        event = AuditEvent.objects.get(action=AuditAction.READ, target_type="households.Household")
        assert (event.target_id, event.details) == (str(referral.household_id), {"referral": referral.pk})

    def test_person_read_audited_as_referral(self, client, staff, landlord, service):
        """For a person who is not a tenant, the read is recorded against the referral."""
        person = ReferralFactory(organisation=landlord, service=service)
        client.force_login(staff)
        client.get(detail(person))
        assert AuditEvent.objects.filter(
            action=AuditAction.READ, target_type="offer.Referral", target_id=str(person.pk)
        ).exists()

    def test_read_only_forbidden(self, client, reader, referral):
        """Read-only users never see referrals (names)."""
        client.force_login(reader)
        assert client.get(LIST).status_code == 403
        assert client.get(detail(referral)).status_code == 403


class TestSendHousehold:
    def url(self, household, **query):
        url = reverse("referrals:create_household", args=[household.pk])
        return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url

    def test_form_prefilled_from_holder(self, client, staff, household, service):
        """The form proposes the lease holder's name and phone, and the service and need asked in the URL."""
        client.force_login(staff)
        form = client.get(self.url(household, service=service.pk, need="digital_help")).context["form"]
        assert form.initial["person_name"] == "Jeanne Dupont"
        assert form.initial["phone"] == "0612345678"
        assert (form.initial["service"], form.initial["need"]) == (str(service.pk), "digital_help")
        assert AuditEvent.objects.filter(action=AuditAction.READ, target_id=str(household.pk)).exists()

    def test_sends(self, client, staff, household, service):
        """Posting the form sends the referral and shows its page."""
        client.force_login(staff)
        response = client.post(
            self.url(household),
            {
                "service": service.pk,
                "need": "digital_help",
                "reason": "Veut apprendre à utiliser sa tablette.",
                "person_name": "Jeanne Dupont",
                "phone": "0612345678",
                "email": "",
                "channel": InteractionChannel.OFFICE,
            },
            follow=True,
        )
        referral = Referral.objects.get()
        assert response.redirect_chain[-1][0] == detail(referral)
        assert f"Orientation n° {referral.pk} envoyée à Lire et Écrire" in response.content.decode()
        assert referral.channel == InteractionChannel.OFFICE

    def test_no_consent_no_form(self, client, staff, landlord, service):
        """Without consent, the page says why and how to get it, and a post sends nothing."""
        other = PersonFactory(household__dwelling__building__site__organisation=landlord).household
        client.force_login(staff)
        response = client.get(self.url(other))
        content = response.content.decode()
        assert "n'a pas donné son accord" in content and "Consentements" in content
        assert "Envoyer l'orientation" not in content
        client.post(
            self.url(other),
            {"service": service.pk, "reason": "x", "person_name": "A", "phone": "1", "channel": "phone"},
        )
        assert not Referral.objects.exists()

    def test_bad_input_located(self, client, staff, household, service):
        """A post without phone nor e-mail is refused, the message on the phone field."""
        client.force_login(staff)
        response = client.post(
            self.url(household),
            {"service": service.pk, "reason": "Besoin", "person_name": "Jeanne", "channel": "phone"},
        )
        assert response.context["form"].errors["phone"] == [
            "Indiquez un téléphone ou un e-mail : le partenaire doit pouvoir joindre la personne."
        ]
        assert not Referral.objects.exists()

    def test_other_landlords_household(self, client, household, other_landlord):
        """Another landlord's household is a 404."""
        client.force_login(UserFactory(organisation=other_landlord, role=Role.STAFF))
        assert client.get(self.url(household)).status_code == 404

    def test_household_page_links_here(self, client, staff, household):
        """The household's page offers to orient it."""
        client.force_login(staff)
        content = client.get(reverse("households:detail", args=[household.pk])).content.decode()
        assert reverse("referrals:create_household", args=[household.pk]) in content


class TestSendPerson:
    def test_sends_with_consent(self, client, staff, service):
        """A person who is not a tenant is sent when they consent; their commune is checked."""
        client.force_login(staff)
        data = {
            "person_name": "Karim Benali",
            "phone": "",
            "email": "karim@example.org",
            "commune": "36999",
            "service": service.pk,
            "reason": "Aide aux papiers",
            "channel": InteractionChannel.CONCIERGE,
            "consent_given_on": dt.date.today().isoformat(),
            "consent_channel": ConsentChannel.IN_PERSON,
        }
        response = client.post(reverse("referrals:create_person"), data)
        errors = response.context["form"].errors
        assert errors["commune"] == ["Aucune commune n'a le code INSEE « 36999 »."]
        assert errors["consent"] == ["Sans l'accord de la personne, l'orientation n'est pas envoyée."]
        data.update(commune="36044", consent="on")
        response = client.post(reverse("referrals:create_person"), data)
        referral = Referral.objects.get()
        assert response.url == detail(referral)
        assert (referral.household, referral.commune_id, referral.consent_channel) == (None, "36044", "in_person")


class TestInbox:
    def test_sees_only_its_referrals(self, client, partner_user, referral, landlord):
        """A partner's user sees the referrals addressed to its organisation, not another partner's."""
        other_partner = PartnerFactory(organisation=landlord, with_account=True)
        elsewhere = ReferralFactory(
            organisation=landlord, service=ServiceFactory(organisation=landlord, partner=other_partner)
        )
        client.force_login(partner_user)
        assert [r.pk for r in client.get(INBOX).context["page"]] == [referral.pk]
        assert client.get(inbox_detail(elsewhere)).status_code == 404
        assert client.get(inbox_detail(referral)).status_code == 200

    def test_several_landlords(self, client, partner_user, referral, partner_org, other_landlord):
        """A partner working with two landlords sees both's referrals; each landlord's trail records its own."""
        listing = PartnerFactory(organisation=other_landlord, account=partner_org)
        theirs = ReferralFactory(
            organisation=other_landlord, service=ServiceFactory(organisation=other_landlord, partner=listing)
        )
        client.force_login(partner_user)
        assert {r.pk for r in client.get(INBOX).context["page"]} == {referral.pk, theirs.pk}
        events = AuditEvent.objects.filter(action=AuditAction.LIST, target_type="offer.Referral")
        assert {(e.organisation_id, tuple(e.details["ids"])) for e in events} == {
            (referral.organisation_id, (referral.pk,)),
            (other_landlord.pk, (theirs.pk,)),
        }

    def test_minimum_to_act(self, client, partner_user, referral):
        """The partner reads the name, contact, commune, service, need and reason, not the household's records."""
        client.force_login(partner_user)
        content = client.get(inbox_detail(referral)).content.decode()
        for shown in (
            "Jeanne Dupont",
            "0639981234",
            "Châteauroux",
            "Atelier numérique du mardi",
            "Souhaite apprendre",
        ):
            assert shown in content
        for hidden in ("BAIL-ORIENT-1", "950", "Impayé", referral.household.dwelling.reference):
            assert hidden not in content
        event = AuditEvent.objects.get(action=AuditAction.READ, target_type="offer.Referral")
        assert (event.organisation_id, event.actor) == (referral.organisation_id, partner_user)

    def test_withdrawn_consent_hides_contact(self, client, partner_user, referral):
        """Once the household withdraws its consent, the partner no longer sees how to reach it."""
        withdraw_consent(consent=referral.consent, on=dt.date.today())
        client.force_login(partner_user)
        content = client.get(inbox_detail(referral)).content.decode()
        assert "0639981234" not in content and "a retiré son accord" in content

    def test_partner_answers(self, client, partner_user, referral):
        """The partner accepts, then closes as done, from its own page."""
        client.force_login(partner_user)
        response = client.post(reverse("referrals:accept", args=[referral.pk]), {"accept-note": "RDV le 4"})
        assert response.url == inbox_detail(referral)
        response = client.post(reverse("referrals:complete", args=[referral.pk]), {"complete-note": ""}, follow=True)
        assert "déclarée réalisée" in response.content.decode()
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.DONE

    def test_invalid_transition_message(self, client, partner_user, referral):
        """An action the status does not allow shows the reason and changes nothing."""
        client.force_login(partner_user)
        response = client.post(reverse("referrals:complete", args=[referral.pk]), {}, follow=True)
        assert "doit être acceptée avant" in response.content.decode()
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.SENT

    def test_refusal_form_errors(self, client, partner_user, referral):
        """A refusal for "another reason" without details is refused with a message naming the field."""
        client.force_login(partner_user)
        response = client.post(
            reverse("referrals:refuse", args=[referral.pk]), {"refuse-reason": RefusalReason.OTHER}, follow=True
        )
        assert "Précisions : Précisez la raison du refus." in response.content.decode()
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.SENT

    def test_other_partner_cannot_act(self, client, referral):
        """Another partner's user gets a 404 on our referral's actions."""
        client.force_login(UserFactory(organisation=OrganisationFactory(partner=True), role=Role.PARTNER))
        assert client.post(reverse("referrals:accept", args=[referral.pk]), {}).status_code == 404
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.SENT

    def test_landlord_staff_record_answer(self, client, staff, referral):
        """The landlord's staff record a partner's refusal given on the phone, from the referral's page."""
        client.force_login(staff)
        response = client.post(
            reverse("referrals:refuse", args=[referral.pk]), {"refuse-reason": RefusalReason.NO_CAPACITY}
        )
        assert response.url == detail(referral)
        referral.refresh_from_db()
        assert referral.refusal_reason == RefusalReason.NO_CAPACITY

    def test_landlord_cannot_read_inbox(self, client, staff):
        """The inbox is the partners' page only."""
        client.force_login(staff)
        assert client.get(INBOX).status_code == 403

    def test_inbox_export(self, client, partner_user, referral):
        """The partner exports its list, without names; the export is in the landlord's trail."""
        client.force_login(partner_user)
        rows = export_rows(client.get(INBOX, {"format": "csv"}))
        assert rows[0] == [
            "n°",
            "bailleur",
            "reçue le",
            "état",
            "service",
            "commune",
            "besoin",
            "réponse attendue au plus tard le",
        ]
        assert "Jeanne Dupont" not in str(rows)
        assert AuditEvent.objects.filter(action=AuditAction.EXPORT, organisation=referral.organisation).exists()

    def test_constant_queries(self, client, partner_user, partner, landlord, django_assert_num_queries):
        """The inbox's queries do not grow with the referrals listed."""
        service = ServiceFactory(organisation=landlord, partner=partner)
        ReferralFactory(organisation=landlord, service=service)
        client.force_login(partner_user)
        # session, user, count, page, one audit event per landlord
        with django_assert_num_queries(5):
            client.get(INBOX)
        for _ in range(10):
            ReferralFactory(
                household=HouseholdFactory(dwelling__building__site__organisation=landlord), service=service
            )
        with django_assert_num_queries(5):
            response = client.get(INBOX)
        assert len(response.context["page"]) == 11

    def test_home_links_partner_to_inbox(self, client, partner_user):
        """A partner's user lands on a page that leads to its referrals."""
        client.force_login(partner_user)
        assert INBOX in client.get(reverse("core:home")).content.decode()


class TestSettings:
    URL = reverse("referrals:settings")

    def test_organisation_delays(self, client, staff, landlord):
        """Staff set the organisation's delays; a reminder after the expiry is refused, located."""
        client.force_login(staff)
        response = client.post(self.URL, {"form": "organisation", "org-expiry_days": 5, "org-reminder_days": 6})
        assert response.context["delays_form"].errors["reminder_days"] == [
            "La relance doit partir avant l'expiration : moins de jours que le délai."
        ]
        client.post(self.URL, {"form": "organisation", "org-expiry_days": 20, "org-reminder_days": 4})
        row = ReferralSettings.objects.get(organisation=landlord, partner=None)
        assert (row.expiry_days, row.reminder_days) == (20, 4)

    def test_partner_delays(self, client, staff, partner):
        """A partner's own delays are set, listed, then removed."""
        client.force_login(staff)
        client.post(
            self.URL,
            {"form": "partner", "partner-partner": partner.pk, "partner-expiry_days": 30, "partner-reminder_days": 5},
        )
        assert "Lire et Écrire" in client.get(self.URL).content.decode()
        client.post(self.URL, {"form": "remove", "partner": partner.pk})
        assert not ReferralSettings.objects.filter(partner=partner).exists()

    def test_other_landlords_partner(self, client, staff):
        """Another landlord's partner cannot be chosen."""
        client.force_login(staff)
        foreign = PartnerFactory()
        response = client.post(
            self.URL,
            {"form": "partner", "partner-partner": foreign.pk, "partner-expiry_days": 30, "partner-reminder_days": 5},
        )
        assert "partner" in response.context["partner_form"].errors
        assert client.post(self.URL, {"form": "remove", "partner": foreign.pk}).status_code == 404


def test_field_agent_orients_their_households(client, field_agent, household, service):
    """A field agent orients the households of their sites, and no other."""
    client.force_login(field_agent)
    url = reverse("referrals:create_household", args=[household.pk])
    assert client.get(url).status_code == 404
    household.dwelling.building.site.agents.add(field_agent)
    assert client.get(url).status_code == 200
