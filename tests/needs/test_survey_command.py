"""``proxima survey import`` and ``proxima survey export``: ids on stdout, problems on stderr, exit status."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from pyxform.xls2xform import convert

from proxima.cli import main
from proxima.needs import survey_services
from proxima.needs.models import Survey
from tests.needs.factories import small_survey
from tests.needs.test_survey_views import BAD_FORM, GOOD_FORM

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("survey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "isolement.xlsx"
    path.write_bytes(GOOD_FORM)
    return path


@pytest.fixture
def bad(tmp_path):
    path = tmp_path / "mauvais.xlsx"
    path.write_bytes(BAD_FORM)
    return path


class TestImport:
    def test_prints_the_new_survey_id(self, landlord, good):
        """A good form becomes a survey of the organisation, whose id alone is printed."""
        out, _ = run("import", str(good), "--organisation", landlord.slug)
        survey = Survey.objects.get()
        assert out.strip() == str(survey.pk)
        assert survey.organisation == landlord
        assert survey.current_version.questions.count() == 2

    def test_problems_on_stderr_and_nothing_created(self, landlord, bad):
        """A bad form fails with one line per problem on stderr, and creates nothing."""
        err = StringIO()
        with pytest.raises(CommandError, match="2 problème"):
            call_command("survey", "import", str(bad), "--organisation", landlord.slug, stderr=err)
        assert err.getvalue().splitlines() == [
            "survey, ligne 2, colonne type : type non pris en charge : « note »",
            "survey, ligne 3, colonne relevant : la question « absente » n'existe pas",
        ]
        assert not Survey.objects.exists()

    def test_new_version(self, landlord, good):
        """``--survey`` adds a version to one of the organisation's surveys."""
        survey = small_survey(landlord)
        out, _ = run("import", str(good), "--organisation", landlord.slug, "--survey", str(survey.pk))
        survey.refresh_from_db()
        assert out.strip() == str(survey.pk)
        assert survey.current_version.number == 2

    def test_survey_of_another_organisation(self, landlord, other_landlord, good):
        """A survey of another landlord cannot receive the version."""
        foreign = small_survey(other_landlord)
        with pytest.raises(CommandError, match="n'a pas d'enquête"):
            run("import", str(good), "--organisation", landlord.slug, "--survey", str(foreign.pk))
        assert foreign.versions.count() == 1

    @pytest.mark.parametrize(
        ("organisation", "file", "message"),
        [("inconnu", "isolement.xlsx", "Aucun bailleur"), ("hlm-a", "absent.xlsx", "Impossible de lire")],
    )
    def test_bad_arguments(self, landlord, good, organisation, file, message):
        """An unknown organisation or a missing file is said plainly."""
        with pytest.raises(CommandError, match=message):
            run("import", str(good.parent / file), "--organisation", organisation)


class TestExport:
    def test_writes_a_form_pyxform_converts(self, landlord, tmp_path):
        """The exported file converts with pyxform and re-imports to the same questions."""
        survey = small_survey(landlord)
        target = tmp_path / "enquete.xlsx"
        out, _ = run("export", str(survey.pk), "--format", "xlsform", "-o", str(target))
        assert out.strip() == str(target)
        data = target.read_bytes()
        assert "Vivez-vous seul(e) ?" in convert(xlsform=data, file_type=".xlsx", warnings=[]).xform
        copy = survey_services.import_survey(organisation=landlord, data=data)
        assert survey_services.form_from_version(copy.current_version) == survey_services.form_from_version(
            survey.current_version
        )

    def test_earlier_version(self, landlord, tmp_path, good):
        """``--survey-version`` exports an earlier version, not only the current one."""
        survey = small_survey(landlord)
        survey_services.import_version(survey=survey, data=good.read_bytes())
        target = tmp_path / "v1.xlsx"
        run("export", str(survey.pk), "--survey-version", "1", "-o", str(target))
        names = [q.name for q in survey_services.read_form(target.read_bytes()).questions]
        assert names == ["seul", "visites", "aides", "age", "remarque"]
        with pytest.raises(CommandError, match="n'a pas de version 5"):
            run("export", str(survey.pk), "--survey-version", "5", "-o", str(target))

    def test_unknown_survey(self, tmp_path):
        """An id that is no survey fails and writes nothing."""
        with pytest.raises(CommandError, match="Aucune enquête d'identifiant 999999"):
            run("export", "999999", "-o", str(tmp_path / "x.xlsx"))
        assert not (tmp_path / "x.xlsx").exists()


class TestExitStatus:
    @pytest.fixture(autouse=True)
    def _keep_test_connection(self, monkeypatch):
        # A command run from the command line closes the database connections as it ends, which would close
        # the test's transaction (PostgreSQL) before the assertions read the database.
        monkeypatch.setattr(connections, "close_all", lambda: None)

    def test_success_exits_zero(self, landlord, good, capsys):
        """Through the ``proxima`` command, a good import returns normally (status 0) and prints the id."""
        main(["proxima", "survey", "import", str(good), "--organisation", landlord.slug])
        assert capsys.readouterr().out.strip() == str(Survey.objects.get().pk)

    def test_failure_exits_non_zero(self, landlord, bad, capsys):
        """A bad form ends the ``proxima`` command with a non-zero status and the problems on stderr."""
        with pytest.raises(SystemExit) as exit_info:
            main(["proxima", "survey", "import", str(bad), "--organisation", landlord.slug])
        assert exit_info.value.code != 0
        assert "survey, ligne 2, colonne type" in capsys.readouterr().err
