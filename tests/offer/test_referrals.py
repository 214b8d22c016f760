"""Referrals: sending with consent, every change of status and its log, expiry, reminders and the daily command."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from proxima.accounts.enums import Role
from proxima.households.enums import ConsentChannel, InteractionChannel
from proxima.households.models import Interaction
from proxima.households.services import withdraw_consent
from proxima.offer import referrals
from proxima.offer.enums import ReferralStatus, RefusalReason
from proxima.offer.models import Referral, ReferralSettings, ReferralTransition
from proxima.territory.models import Commune
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.households.factories import HouseholdFactory
from tests.offer.factories import PartnerFactory, ServiceFactory
from tests.offer.factories_referrals import ReferralFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


def send(household, service, by, **changes):
    fields = {
        "person_name": "Jeanne Dupont",
        "phone": "0612345678",
        "email": "",
        "reason": "Veut apprendre à déclarer ses revenus en ligne.",
        "channel": InteractionChannel.PHONE,
        "need": "digital_help",
        "today": TODAY,
    }
    fields.update(changes)
    return referrals.refer_household(household=household, service=service, by=by, **fields)


def steps(referral):
    return list(
        ReferralTransition.objects.filter(referral=referral)
        .order_by("at", "pk")
        .values_list("from_status", "to_status", "by_id", "reason")
    )


class TestReferHousehold:
    def test_sends_with_consent(self, household, service, staff, partner):
        """A household with its consent is sent: the referral copies the contact, its consent and its dates."""
        referral = send(household, service, staff)
        assert referral.status == ReferralStatus.SENT
        assert (referral.partner, referral.organisation, referral.household) == (
            partner,
            household.organisation,
            household,
        )
        assert referral.consent == household.consents.get()
        assert referral.consent_given_on == referral.consent.given_on
        assert referral.commune_id == household.dwelling.building.site.commune_id
        assert (referral.expires_on, referral.remind_on) == (dt.date(2026, 6, 16), dt.date(2026, 6, 13))
        assert steps(referral) == [("", ReferralStatus.SENT, staff.pk, "")]

    def test_refused_without_consent(self, household, service, staff):
        """Without a consent in force for referrals, nothing is sent and the message says what to do."""
        consent = household.consents.get()
        withdraw_consent(consent=consent, on=TODAY)
        with pytest.raises(ValidationError, match="n'a pas donné son accord.*Recueillez d'abord son consentement"):
            send(household, service, staff)
        assert not Referral.objects.exists()
        assert not Interaction.objects.exists()

    def test_other_purpose_is_not_consent(self, service, staff, landlord):
        """A consent to courtesy calls is not a consent to pass contact details to a partner."""
        from tests.households.factories import ConsentFactory

        other = HouseholdFactory(dwelling__building__site__organisation=landlord)
        ConsentFactory(household=other)  # outreach
        with pytest.raises(ValidationError, match="n'a pas donné son accord"):
            send(other, service, staff)

    def test_writes_an_interaction(self, household, service, staff):
        """The referral is a contact in the household's history: channel, theme of the need, outcome."""
        referral = send(household, service, staff)
        interaction = Interaction.objects.get(household=household)
        assert (interaction.channel, interaction.source, interaction.theme, interaction.outcome) == (
            InteractionChannel.PHONE,
            "orientation",
            "numérique",
            "orientation envoyée",
        )
        assert f"Orientation n° {referral.pk}" in interaction.note
        assert interaction.recorded_by == staff

    def test_theme_from_the_service_without_need(self, household, service, staff):
        """Without a need, the history's theme is the category of the service's theme."""
        send(household, service, staff, need="")
        assert Interaction.objects.get(household=household).theme == "Numérique"

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"phone": "", "email": ""}, "Indiquez un téléphone ou un e-mail"),
            ({"person_name": "  "}, "Nom de la personne : ce champ est obligatoire"),
            ({"reason": ""}, "Motif de l'orientation : ce champ est obligatoire"),
            ({"reason": "x" * 501}, "500 caractères au plus"),
            ({"need": "astrology"}, "Besoin inconnu"),
            ({"channel": "pigeon"}, "Canal inconnu"),
        ],
    )
    def test_bad_input(self, household, service, staff, changes, message):
        """Each bad field is refused with a message naming it; nothing is written."""
        with pytest.raises(ValidationError, match=message):
            send(household, service, staff, **changes)
        assert not Referral.objects.exists()

    def test_service_of_another_landlord(self, household, staff):
        """A service of another landlord's catalogue is refused."""
        foreign = ServiceFactory()
        with pytest.raises(ValidationError, match="n'appartient pas au catalogue"):
            send(household, foreign, staff)

    def test_own_service(self, household, staff, landlord):
        """A service the landlord renders itself is not a referral to a partner."""
        own = ServiceFactory(organisation=landlord, own=True)
        with pytest.raises(ValidationError, match="rendu par votre organisme lui-même"):
            send(household, own, staff)

    def test_closed_service_or_partnership(self, household, staff, landlord, partner):
        """A draft service, or a partner whose partnership ended, is refused."""
        draft = ServiceFactory(organisation=landlord, partner=partner, draft=True)
        with pytest.raises(ValidationError, match="n'est pas ouvert aujourd'hui"):
            send(household, draft, staff)
        ended = ServiceFactory(organisation=landlord, partner=PartnerFactory(organisation=landlord, is_active=False))
        with pytest.raises(ValidationError, match="partenariat avec .* est terminé"):
            send(household, ended, staff)

    def test_only_staff_who_orient(self, household, service, reader, partner_user):
        """Read-only users and partners cannot orient a landlord's household."""
        for user in (reader, partner_user):
            with pytest.raises(PermissionDenied):
                send(household, service, user)

    def test_partner_delays(self, household, service, staff, landlord, partner):
        """The partner's own delays win over the organisation's; no reminder when it is 0."""
        ReferralSettings.objects.create(organisation=landlord, expiry_days=20, reminder_days=5)
        assert send(household, service, staff).expires_on == dt.date(2026, 6, 21)
        ReferralSettings.objects.create(organisation=landlord, partner=partner, expiry_days=30, reminder_days=0)
        referral = send(household, service, staff)
        assert (referral.expires_on, referral.remind_on) == (dt.date(2026, 7, 1), None)


class TestReferPerson:
    def send(self, landlord, service, staff, **changes):
        fields = {
            "organisation": landlord,
            "service": service,
            "person_name": "Karim Benali",
            "phone": "",
            "email": "karim@example.org",
            "commune": Commune.objects.get(code="36044"),
            "reason": "Cherche une aide pour ses papiers.",
            "channel": InteractionChannel.CONCIERGE,
            "consent_given_on": TODAY,
            "consent_channel": ConsentChannel.IN_PERSON,
            "by": staff,
            "today": TODAY,
        }
        fields.update(changes)
        return referrals.refer_person(**fields)

    def test_sends_with_declared_consent(self, landlord, service, staff):
        """A person who is not a tenant is sent with the consent recorded on the referral; no history entry."""
        referral = self.send(landlord, service, staff)
        assert (referral.household, referral.consent, referral.consent_given_on) == (None, None, TODAY)
        assert not Interaction.objects.exists()
        assert steps(referral) == [("", ReferralStatus.SENT, staff.pk, "")]

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"consent_given_on": None}, "doit accepter"),
            ({"consent_given_on": TODAY + dt.timedelta(days=1)}, "futur"),
            ({"consent_channel": "telepathy"}, "canal inconnu"),
        ],
    )
    def test_consent_required(self, landlord, service, staff, changes, message):
        """No consent, a consent in the future or an unknown channel: nothing is sent."""
        with pytest.raises(ValidationError, match=message):
            self.send(landlord, service, staff, **changes)
        assert not Referral.objects.exists()


class TestTransitions:
    @pytest.fixture
    def referral(self, household, service, staff):
        return send(household, service, staff)

    def test_partner_accepts_then_completes(self, referral, partner_user, staff):
        """The partner's user accepts, then closes as done: two log rows, two history entries, dates kept."""
        referrals.accept_referral(referral=referral, by=partner_user, note="Rendez-vous pris le 4 juin.")
        assert referral.status == ReferralStatus.ACCEPTED and referral.answered_at is not None
        referrals.complete_referral(referral=referral, by=partner_user)
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.DONE and referral.closed_at is not None
        assert steps(referral)[1:] == [
            (ReferralStatus.SENT, ReferralStatus.ACCEPTED, partner_user.pk, "Rendez-vous pris le 4 juin."),
            (ReferralStatus.ACCEPTED, ReferralStatus.DONE, partner_user.pk, ""),
        ]
        outcomes = list(Interaction.objects.order_by("occurred_at", "pk").values_list("outcome", flat=True))
        assert outcomes == ["orientation envoyée", "acceptée par le partenaire", "service rendu"]
        assert ReferralTransition.objects.filter(referral=referral).last().by_label == (
            f"{partner_user.get_full_name()} (Association Lire et Écrire)"
        )

    def test_refuse_with_reason(self, referral, partner_user):
        """A refusal keeps its reason, in the referral and in the log."""
        referrals.refuse_referral(referral=referral, by=partner_user, reason=RefusalReason.NO_CAPACITY)
        referral.refresh_from_db()
        assert (referral.status, referral.refusal_reason) == (ReferralStatus.REFUSED, RefusalReason.NO_CAPACITY)
        assert steps(referral)[-1][3] == "plus de place pour le moment"

    def test_refuse_other_needs_details(self, referral, partner_user):
        """ "Other reason" must say which; an unknown reason is refused."""
        with pytest.raises(ValidationError, match="Précisions : ce champ est obligatoire"):
            referrals.refuse_referral(referral=referral, by=partner_user, reason=RefusalReason.OTHER)
        with pytest.raises(ValidationError, match="Raison du refus"):
            referrals.refuse_referral(referral=referral, by=partner_user, reason="bored")
        referrals.refuse_referral(
            referral=referral, by=partner_user, reason=RefusalReason.OTHER, details="Fermé l'été."
        )
        assert steps(referral)[-1][3] == "autre raison (à préciser) — Fermé l'été."

    def test_landlord_records_answer_on_behalf(self, referral, staff):
        """The landlord's staff may record the partner's answer given on the phone; the log names them."""
        referrals.accept_referral(referral=referral, by=staff)
        assert steps(referral)[-1][:3] == (ReferralStatus.SENT, ReferralStatus.ACCEPTED, staff.pk)

    def test_landlord_withdraws_unanswered(self, referral, staff):
        """The landlord abandons a referral still unanswered (the person changed their mind), saying why."""
        with pytest.raises(ValidationError, match="Raison de l'abandon"):
            referrals.abandon_referral(referral=referral, by=staff, reason=" ")
        referrals.abandon_referral(referral=referral, by=staff, reason="A trouvé un atelier à la médiathèque.")
        assert referral.status == ReferralStatus.ABANDONED

    def test_partner_refuses_rather_than_abandons(self, referral, partner_user):
        """A partner does not abandon a referral it has not answered: it refuses it, with its reason."""
        with pytest.raises(ValidationError, match="se refuse"):
            referrals.abandon_referral(referral=referral, by=partner_user, reason="Injoignable")
        referrals.accept_referral(referral=referral, by=partner_user)
        referrals.abandon_referral(referral=referral, by=partner_user, reason="Injoignable après trois appels.")
        assert referral.status == ReferralStatus.ABANDONED

    @pytest.mark.parametrize(
        ("first", "then", "message"),
        [
            (None, "complete", "doit être acceptée avant d'être déclarée réalisée"),
            ("accept", "accept", "déjà acceptée : elle ne peut plus être acceptée"),
            ("accept", "refuse", "déjà acceptée : elle ne peut plus être refusée"),
            ("refuse", "accept", "déjà « refusée » : son état ne change plus"),
            ("refuse", "abandon", "déjà « refusée »"),
        ],
    )
    def test_invalid_transitions(self, referral, partner_user, first, then, message):
        """A change the current status does not allow is refused with a clear message, and nothing is logged."""
        actions = {
            "accept": lambda: referrals.accept_referral(referral=referral, by=partner_user),
            "refuse": lambda: referrals.refuse_referral(
                referral=referral, by=partner_user, reason=RefusalReason.NOT_ELIGIBLE
            ),
            "complete": lambda: referrals.complete_referral(referral=referral, by=partner_user),
            "abandon": lambda: referrals.abandon_referral(referral=referral, by=partner_user, reason="Parti"),
        }
        if first:
            actions[first]()
        logged = len(steps(referral))
        with pytest.raises(ValidationError, match=message):
            actions[then]()
        assert len(steps(referral)) == logged

    def test_stale_object_cannot_act_twice(self, referral, partner_user, staff):
        """Two people answering at once: the second sees the first's answer (the row is read again, locked)."""
        stale = Referral.objects.get(pk=referral.pk)
        referrals.accept_referral(referral=referral, by=partner_user)
        with pytest.raises(ValidationError, match="déjà acceptée"):
            referrals.refuse_referral(referral=stale, by=staff, reason=RefusalReason.NO_CAPACITY)

    def test_strangers_cannot_act(self, referral, reader):
        """Another partner's user, another landlord's staff or a read-only user cannot touch the referral."""
        other_partner_user = UserFactory(organisation=OrganisationFactory(partner=True), role=Role.PARTNER)
        other_staff = UserFactory(organisation=OrganisationFactory(), role=Role.STAFF)
        for user in (other_partner_user, other_staff, reader):
            with pytest.raises(PermissionDenied):
                referrals.accept_referral(referral=referral, by=user)
        assert referral.status == ReferralStatus.SENT

    def test_no_interaction_for_a_person(self, landlord, service, staff, partner_user):
        """A person who is not a tenant has no history: transitions are only logged."""
        referral = ReferralFactory(organisation=landlord, service=service)
        referrals.accept_referral(referral=referral, by=partner_user)
        assert not Interaction.objects.exists()
        assert steps(referral) == [(ReferralStatus.SENT, ReferralStatus.ACCEPTED, partner_user.pk, "")]


class TestExpiry:
    def test_expires_after_last_day(self, household, service, staff):
        """A referral unanswered on its last day still waits; the day after, it expires, by the system."""
        referral = send(household, service, staff)
        with pytest.raises(ValidationError, match="attend une réponse jusqu'au 16/06/2026"):
            referrals.expire_referral(referral=referral, today=dt.date(2026, 6, 16))
        referrals.expire_referral(referral=referral, today=dt.date(2026, 6, 17))
        assert referral.status == ReferralStatus.EXPIRED
        step = ReferralTransition.objects.filter(referral=referral).last()
        assert (step.by, step.by_label) == (None, "Proxima (automatique)")
        assert "sans réponse du partenaire en" in step.reason
        assert Interaction.objects.filter(household=household, outcome="expirée sans réponse").exists()

    def test_accepted_does_not_expire(self, household, service, staff, partner_user):
        """Only an unanswered referral expires."""
        referral = send(household, service, staff)
        referrals.accept_referral(referral=referral, by=partner_user)
        with pytest.raises(ValidationError, match="Seule une orientation restée sans réponse expire"):
            referrals.expire_referral(referral=referral, today=dt.date(2026, 7, 1))


class TestDailyRun:
    @pytest.fixture
    def due(self, landlord, service, staff):
        """One referral to remind today (2026-06-13), one overdue, one answered, one not yet due."""
        sent = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)
        return {
            "remind": ReferralFactory(organisation=landlord, service=service, sent_by=staff, sent_at=sent),
            "overdue": ReferralFactory(
                organisation=landlord,
                service=service,
                sent_by=staff,
                sent_at=sent - dt.timedelta(days=20),
                expires_on=dt.date(2026, 6, 5),
                remind_on=dt.date(2026, 6, 2),
            ),
            "answered": ReferralFactory(organisation=landlord, service=service, sent_at=sent, accepted=True),
            "later": ReferralFactory(
                organisation=landlord, service=service, sent_at=sent, expires_on=dt.date(2026, 7, 1)
            ),
        }

    def test_dry_run_changes_nothing(self, due):
        """A dry run lists what it would do, writes nothing and sends nothing."""
        run = referrals.run_daily(today=dt.date(2026, 6, 13), wet_run=False)
        assert [r.pk for r in run.expired] == [due["overdue"].pk]
        assert [r.pk for r in run.reminded] == [due["remind"].pk]
        assert Referral.objects.filter(status=ReferralStatus.EXPIRED).count() == 0
        assert Referral.objects.filter(reminded_on__isnull=False).count() == 0
        assert mail.outbox == []

    def test_wet_run_expires_reminds_and_is_idempotent(self, due, partner_user, staff, settings):
        """A wet run expires, reminds the partner's users and tells the sender; running it again does nothing."""
        settings.PROXIMA_BASE_URL = "https://proxima.example.org"
        run = referrals.run_daily(today=dt.date(2026, 6, 13), wet_run=True)
        due["overdue"].refresh_from_db()
        due["remind"].refresh_from_db()
        assert due["overdue"].status == ReferralStatus.EXPIRED
        assert due["remind"].reminded_on == dt.date(2026, 6, 13)
        assert run.emails == 2
        reminder = next(m for m in mail.outbox if m.to == [partner_user.email])
        assert reminder.subject == "Une orientation attend votre réponse"
        assert f"https://proxima.example.org/orientations/recues/{due['remind'].pk}/" in reminder.body
        assert due["remind"].person_name not in reminder.body  # no name by e-mail
        expired = next(m for m in mail.outbox if m.to == [staff.email])
        assert f"n° {due['overdue'].pk}" in expired.body and "orientez-la vers un autre service" in expired.body
        mail.outbox.clear()
        again = referrals.run_daily(today=dt.date(2026, 6, 13), wet_run=True)
        assert (again.expired, again.reminded, again.emails, mail.outbox) == ([], [], 0, [])

    def test_partner_without_account_reminds_the_sender(self, landlord, staff):
        """A partner without a Proxima account cannot answer: its referral's sender is asked to call it."""
        offline = ServiceFactory(
            organisation=landlord, partner=PartnerFactory(organisation=landlord, phone="02 54 99 88 77")
        )
        referral = ReferralFactory(
            organisation=landlord,
            service=offline,
            sent_by=staff,
            expires_on=dt.date(2026, 6, 16),
            remind_on=dt.date(2026, 6, 13),
        )
        referrals.run_daily(today=dt.date(2026, 6, 13), wet_run=True)
        (message,) = mail.outbox
        assert message.to == [staff.email]
        assert "n'a pas de compte Proxima" in message.body and "02 54 99 88 77" in message.body
        referral.refresh_from_db()
        assert referral.reminded_on == dt.date(2026, 6, 13)

    def test_command(self, due):
        """``proxima referrals expire`` is a dry run unless ``--wet-run``; ``--today`` sets the day."""
        out = io.StringIO()
        call_command("referrals", "expire", "--today", "2026-06-13", stdout=out)
        assert "Simulation : 1 orientation(s) à faire expirer, 1 à relancer" in out.getvalue()
        assert not Referral.objects.filter(status=ReferralStatus.EXPIRED).exists()
        out = io.StringIO()
        call_command("referrals", "expire", "--today", "2026-06-13", "--wet-run", stdout=out)
        assert f"expirée : orientation n° {due['overdue'].pk}" in out.getvalue()
        assert "1 orientation(s) expirée(s), 1 relancée(s), 2 e-mail(s) envoyé(s)." in out.getvalue()

    def test_command_bad_date(self):
        """A date that is not a date is refused with the expected format."""
        from django.core.management.base import CommandError

        with pytest.raises(CommandError, match="AAAA-MM-JJ"):
            call_command("referrals", "expire", "--today", "13/06/2026")


class TestNotification:
    def test_partner_told_of_a_new_referral(
        self, household, service, staff, partner_user, django_capture_on_commit_callbacks
    ):
        """Once sent, the partner's users get an e-mail without the person's name."""
        with django_capture_on_commit_callbacks(execute=True):
            referral = send(household, service, staff)
        (message,) = mail.outbox
        assert message.to == [partner_user.email]
        assert message.subject == f"Nouvelle orientation de {household.organisation.name} : Atelier numérique du mardi"
        assert "Jeanne" not in message.body and "0612345678" not in message.body
        assert f"n° {referral.pk}" in message.body and "16/06/2026" in message.body

    def test_inactive_partner_users_not_told(
        self, household, service, staff, partner_user, django_capture_on_commit_callbacks
    ):
        """A deactivated partner user gets nothing."""
        partner_user.is_active = False
        partner_user.save()
        with django_capture_on_commit_callbacks(execute=True):
            send(household, service, staff)
        assert mail.outbox == []


class TestDelays:
    def test_resolution(self, landlord, partner):
        """Defaults, then the organisation's, then the partner's own."""
        assert referrals.referral_delays(organisation=landlord, partner=partner) == referrals.Delays(15, 3)
        referrals.update_referral_delays(organisation=landlord, expiry_days=10, reminder_days=2)
        assert referrals.referral_delays(organisation=landlord, partner=partner) == referrals.Delays(10, 2)
        referrals.update_referral_delays(organisation=landlord, partner=partner, expiry_days=30, reminder_days=7)
        assert referrals.referral_delays(organisation=landlord, partner=partner) == referrals.Delays(30, 7)
        assert referrals.remove_partner_delays(organisation=landlord, partner=partner)
        assert referrals.referral_delays(organisation=landlord, partner=partner) == referrals.Delays(10, 2)

    def test_reminder_before_expiry(self, landlord):
        """A reminder on or after the expiry is refused."""
        with pytest.raises(ValidationError, match="avant l'expiration"):
            referrals.update_referral_delays(organisation=landlord, expiry_days=5, reminder_days=5)

    def test_another_landlords_partner(self, landlord):
        """A partner of another landlord cannot get delays here."""
        with pytest.raises(ValidationError, match="n'est pas un partenaire de votre organisme"):
            referrals.update_referral_delays(
                organisation=landlord, partner=PartnerFactory(), expiry_days=5, reminder_days=1
            )
