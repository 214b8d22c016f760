import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from proxima.accounts.enums import Role
from tests.accounts.factories import UserFactory
from tests.offer.factories import PartnershipAgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ending(landlord):
    UserFactory(organisation=landlord, role=Role.STAFF, email="equipe@hlm-a.example.org")
    return PartnershipAgreementFactory(
        partner__organisation=landlord,
        partner__name="Régie de quartier",
        object="Petits travaux chez les locataires âgés",
        end_date=dt.date(2026, 12, 31),
        alert_days=60,
    )


class TestOfferAlerts:
    def test_dry_run_by_default(self, ending, capsys):
        """Without --wet-run the command says what it would send, and sends nothing."""
        call_command("offer", "alerts", "--date", "2026-11-15")
        out = capsys.readouterr().out
        assert "serait envoyé à equipe@hlm-a.example.org" in out
        assert "Régie de quartier : Petits travaux chez les locataires âgés (fin le 31/12/2026)" in out
        assert "Simulation" in out
        assert mail.outbox == []

    def test_wet_run_sends(self, ending, capsys):
        """With --wet-run the e-mail goes out, once."""
        call_command("offer", "alerts", "--wet-run", "--date", "2026-11-15")
        assert len(mail.outbox) == 1
        assert mail.outbox[0].subject == "Proxima : 1 convention de partenariat arrive à échéance"
        call_command("offer", "alerts", "--wet-run", "--date", "2026-11-16")
        assert len(mail.outbox) == 1
        assert "Aucune convention" in capsys.readouterr().out

    def test_nothing_due(self, ending, capsys):
        """Before the window opens there is nothing to say."""
        call_command("offer", "alerts", "--date", "2026-10-01")
        assert "Aucune convention" in capsys.readouterr().out

    def test_bad_date(self):
        """A date that is not AAAA-MM-JJ is refused by name."""
        with pytest.raises(CommandError, match="31/12/2026"):
            call_command("offer", "alerts", "--date", "31/12/2026")
