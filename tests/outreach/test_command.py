"""``proxima outreach escalate``: a dry run by default, idempotent with --wet-run."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from proxima.accounts.models import AuditEvent
from proxima.outreach.models import Alert
from tests.outreach.factories import ContactFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("outreach", "escalate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def failing(enrolment):
    for n in (3, 2):
        ContactFactory(enrolment=enrolment, failed=True, occurred_at=timezone.now() - dt.timedelta(days=n))
    return enrolment


class TestEscalateCommand:
    def test_dry_run(self, failing):
        """Without --wet-run: what would be raised, nothing written."""
        out, err = run()
        assert f"suivi n° {failing.pk} : alerte au référent du programme, 2 contact(s) manqué(s)" in out
        assert "simulation" in err
        assert not Alert.objects.exists()

    def test_wet_run_twice(self, failing, django_capture_on_commit_callbacks, mailoutbox):
        """--wet-run raises the alert, audited as the command; a second run raises nothing."""
        with django_capture_on_commit_callbacks(execute=True):
            _, err = run("--wet-run", "--organisation", failing.organisation.slug)
        assert "1 alerte(s) levée(s)" in err
        alert = Alert.objects.get()
        assert alert.raised_on == timezone.localdate()
        assert AuditEvent.objects.filter(target_type="outreach.Alert", source__contains="outreach escalate").exists()
        assert len(mailoutbox) == 1
        out, err = run("--wet-run")
        assert out == "" and "0 alerte(s)" in err

    def test_today_option(self, failing):
        """--today applies the rule as of that day: before the second failure, nothing to raise."""
        yesterday_but_two = timezone.localdate() - dt.timedelta(days=3)
        out, _ = run("--today", yesterday_but_two.isoformat())
        assert out == ""

    @pytest.mark.parametrize(
        ("args", "message"),
        [(["--organisation", "inconnu"], "Aucun bailleur"), (["--today", "31/12/2026"], "AAAA-MM-JJ")],
    )
    def test_bad_arguments(self, args, message):
        """A clear message for an unknown landlord or a badly written date."""
        with pytest.raises(CommandError, match=message):
            run(*args)
