"""The web import: upload, background check with progress, confirmation, background import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from proxima.accounts.enums import Role
from proxima.accounts.models import AuditEvent
from proxima.imports.models import ImportJob, ImportStatus
from proxima.territory.models import Dwelling
from tests.accounts.factories import UserFactory
from tests.imports.conftest import DATA

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch):
    # The worker closes connections between tasks; in a test that would end the test's transaction
    # (PostgreSQL; SQLite's in-memory test database is never closed).
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def run_worker():
    """Run the queued background tasks as the real worker would (database backend)."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.fixture
def staff(client, landlord):
    user = UserFactory(organisation=landlord, role=Role.STAFF)
    client.force_login(user)
    return user


def upload(client, django_capture_on_commit_callbacks, content=None, name="stock.csv", **extra):
    content = content if content is not None else (DATA / "stock.csv").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:list"), {"kind": "stock", "file": SimpleUploadedFile(name, content), **extra}
        )
    return ImportJob.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))


class TestValidFile:
    def test_check_then_confirm_then_import(self, client, staff, landlord, django_capture_on_commit_callbacks):
        job = upload(client, django_capture_on_commit_callbacks)
        assert job.status == ImportStatus.PENDING
        assert not Dwelling.objects.exists()
        assert AuditEvent.objects.filter(target_type="imports.ImportJob", action="create", actor=staff).exists()

        run_worker()
        job.refresh_from_db()
        assert job.status == ImportStatus.READY
        assert job.validation["counts"]["dwellings"]["created"] == 4
        assert not Dwelling.objects.exists()  # checking writes nothing
        page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
        assert "Aperçu des premières lignes" in page and "Les Tilleuls" in page
        assert "Importer les 4 lignes" in page

        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("imports:confirm", args=[job.pk]))
        run_worker()
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE
        assert Dwelling.objects.filter(organisation=landlord).count() == 4
        assert not job.file  # the uploaded personal data is deleted once imported
        event = AuditEvent.objects.get(action="import")
        assert (event.actor, event.source) == (staff, f"import web n° {job.pk}")

    def test_confirming_twice_imports_once(self, client, staff, django_capture_on_commit_callbacks):
        job = upload(client, django_capture_on_commit_callbacks)
        run_worker()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            client.post(reverse("imports:confirm", args=[job.pk]))
            response = client.post(reverse("imports:confirm", args=[job.pk]), follow=True)
        assert len(callbacks) == 1
        assert "déjà été lancé" in response.content.decode()

    def test_progress_fragment(self, client, staff, django_capture_on_commit_callbacks):
        """While the check runs, the page polls a fragment; once finished it asks for a full reload."""
        job = upload(client, django_capture_on_commit_callbacks)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.VALIDATING, rows_done=2000, rows_total=8000)
        response = client.get(reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
        content = response.content.decode()
        assert 'value="25"' in content and "2000 lignes vérifiées sur environ 8000" in content
        assert 'hx-trigger="every 1s"' in content
        assert "HX-Refresh" not in response
        page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
        assert '<meta http-equiv="refresh" content="3">' in page  # without JavaScript
        run_worker()
        response = client.get(reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
        assert response["HX-Refresh"] == "true"


class TestBadFile:
    def test_errors_are_shown_and_nothing_can_be_imported(self, client, staff, django_capture_on_commit_callbacks):
        content = (
            (DATA / "stock.csv").read_text().replace("36044;46.8103;1.6913;R001-B2", "36999;46.8103;1.6913;R001-B2")
        )
        job = upload(client, django_capture_on_commit_callbacks, content.encode())
        run_worker()
        job.refresh_from_db()
        assert job.status == ImportStatus.INVALID
        page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
        assert "stock.csv, ligne 4, colonne D (Code INSEE commune) : commune inconnue" in page
        assert "Importer quand même les 3 lignes valides" in page
        # A plain confirm does not import an invalid file.
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("imports:confirm", args=[job.pk]))
        run_worker()
        assert not Dwelling.objects.exists()
        errors = client.get(reverse("imports:issues", args=[job.pk]), {"format": "csv"})
        lines = b"".join(errors.streaming_content).decode("utf-8-sig").splitlines()
        assert lines[0] == "fichier;ligne;colonne;valeur;problème;attendu"
        assert lines[1].startswith("stock.csv;4;D (Code INSEE commune);36999;commune inconnue;")

    def test_import_only_the_valid_rows_when_asked(self, client, staff, django_capture_on_commit_callbacks):
        content = (
            (DATA / "stock.csv").read_text().replace("36044;46.8103;1.6913;R001-B2", "36999;46.8103;1.6913;R001-B2")
        )
        job = upload(client, django_capture_on_commit_callbacks, content.encode())
        run_worker()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("imports:confirm", args=[job.pk]), {"skip_invalid": "1"})
        run_worker()
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE
        assert Dwelling.objects.count() == 3

    def test_unreadable_file(self, client, staff, django_capture_on_commit_callbacks):
        job = upload(client, django_capture_on_commit_callbacks, "référence\n".encode("utf-16"), name="export.csv")
        run_worker()
        job.refresh_from_db()
        assert job.status == ImportStatus.INVALID
        assert "encodage UTF-16" in client.get(reverse("imports:detail", args=[job.pk])).content.decode()

    def test_discard_deletes_the_file(self, client, staff, django_capture_on_commit_callbacks):
        job = upload(client, django_capture_on_commit_callbacks)
        run_worker()
        path = job.file.path
        client.post(reverse("imports:discard", args=[job.pk]))
        job.refresh_from_db()
        assert job.status == ImportStatus.FAILED and not job.file
        import os

        assert not os.path.exists(path)

    def test_missing_file_is_a_form_error(self, client, staff):
        response = client.post(reverse("imports:list"), {"kind": "stock"})
        assert response.status_code == 200
        assert "Ce champ est obligatoire." in response.content.decode()
        assert not ImportJob.objects.exists()


def test_the_page_lists_the_expected_columns(client, staff):
    content = client.get(reverse("imports:list")).content.decode()
    assert "Colonnes attendues : patrimoine" in content
    assert "<code>dwelling_reference</code>" in content and "Code INSEE commune" in content
