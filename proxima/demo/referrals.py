"""The demo's referrals: a few households oriented to the partner association that has a Proxima account, so that
its users (``partenaire@…``) find referrals addressed to them and the staff see each status."""

import datetime as dt

from django.test.utils import override_settings

from proxima.accounts.models import User
from proxima.households.enums import ConsentChannel, ConsentPurpose, InteractionChannel, PersonRole
from proxima.households.models import Household
from proxima.households.services import record_consent
from proxima.needs.enums import Need
from proxima.offer import referrals
from proxima.offer.enums import RefusalReason
from proxima.offer.models import Referral, Service

STAFF_EMAIL = "proximite@demo.proxima.invalid"
PARTNER_EMAIL = "partenaire@demo.proxima.invalid"
# (need, reason, what the partner does: "", "accept", "done" or "refuse")
REFERRALS = [
    (Need.ISOLATION, "Vit seule depuis le décès de son mari, ne sort plus ; d'accord pour des appels.", ""),
    (Need.ISOLATION, "Souhaite des visites de convivialité le mardi après-midi.", "accept"),
    (Need.ISOLATION, "Se sent seul depuis son arrivée dans la commune ; d'accord pour un appel par semaine.", "done"),
    (Need.ISOLATION, "Demande des appels ; habite hors du secteur couvert par les bénévoles.", "refuse"),
]


def build_referrals_demo(organisation, *, today: dt.date) -> list[Referral]:
    """Orient four households with their consent to the partner association's service, once; return them."""
    existing = list(Referral.objects.filter(organisation=organisation).order_by("pk"))
    if existing:
        return existing
    staff = User.objects.get(email=STAFF_EMAIL)
    partner_user = User.objects.get(email=PARTNER_EMAIL)
    service = (
        Service.objects.for_organisation(organisation)
        .filter(partner__account=partner_user.organisation)
        .order_by("pk")
        .first()
    )
    if service is None:
        return []
    households = (
        Household.objects.filter(organisation=organisation, persons__role=PersonRole.REFERENCE)
        .exclude(persons__phone="")
        .order_by("pk")
        .distinct()[: len(REFERRALS)]
    )
    created = []
    # The partner's demo addresses are .invalid: no e-mail is sent while the demo is built.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        for household, (need, reason, answer) in zip(households, REFERRALS, strict=False):
            holder = household.persons.filter(role=PersonRole.REFERENCE).order_by("pk").first()
            if referrals.active_referral_consent(household) is None:
                record_consent(
                    household=household,
                    purpose=ConsentPurpose.REFERRAL,
                    given_on=today - dt.timedelta(days=10),
                    channel=ConsentChannel.PHONE,
                    by=staff,
                )
            referral = referrals.refer_household(
                household=household,
                service=service,
                person_name=f"{holder.first_name} {holder.last_name}".strip(),
                phone=holder.phone,
                email="",
                reason=reason,
                channel=InteractionChannel.PHONE,
                need=need,
                by=staff,
                today=today,
            )
            if answer in {"accept", "done"}:
                referral = referrals.accept_referral(referral=referral, by=partner_user)
            if answer == "done":
                referral = referrals.complete_referral(
                    referral=referral, by=partner_user, note="Appels hebdomadaires en place."
                )
            if answer == "refuse":
                referral = referrals.refuse_referral(
                    referral=referral, by=partner_user, reason=RefusalReason.OUT_OF_AREA
                )
            created.append(referral)
    return created
