"""The demo's referrals: the partner association's users find referrals addressed to them, in every state."""

import datetime as dt

import pytest
from django.urls import reverse

from proxima.accounts.models import User
from proxima.demo.referrals import PARTNER_EMAIL
from proxima.demo.services import build_demo
from proxima.offer.enums import ReferralStatus
from proxima.offer.models import Referral

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _tmp_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def demo():
    return build_demo(dwellings=300, sites=15, today=TODAY, agency=False)


class TestReferralsDemo:
    def test_referrals_in_every_state(self, demo, mailoutbox):
        """Four households oriented with their consent: waiting, accepted, done, refused; no e-mail sent."""
        referrals = Referral.objects.filter(organisation=demo.organisation)
        assert sorted(r.status for r in referrals) == sorted(
            [ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.DONE, ReferralStatus.REFUSED]
        )
        assert all(r.consent_id is not None and r.household_id is not None for r in referrals)
        assert mailoutbox == []

    def test_partner_sees_them(self, demo, client):
        """The partner association's user finds the referrals addressed to it in its inbox, and who to call."""
        client.force_login(User.objects.get(email=PARTNER_EMAIL))
        inbox = client.get(reverse("referrals:inbox")).content.decode()
        for referral in Referral.objects.filter(organisation=demo.organisation):
            assert reverse("referrals:inbox_detail", args=[referral.pk]) in inbox
            detail = client.get(reverse("referrals:inbox_detail", args=[referral.pk]))
            assert referral.person_name in detail.content.decode()

    def test_rebuild_keeps_them(self, demo):
        """Building the demo again adds no referral."""
        build_demo(dwellings=300, sites=15, today=TODAY, agency=False)
        assert Referral.objects.filter(organisation=demo.organisation).count() == 4
