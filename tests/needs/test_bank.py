"""The question bank: it reads like any XLSForm, covers every priority theme, and its questions roll up into needs."""

import pytest
from pyxform.xls2xform import convert

from proxima.needs import bank, survey_services
from proxima.needs.enums import CHOICE_KINDS, QuestionKind, SurveyStatus, Theme
from proxima.needs.xlsform import markdown_to_xlsx


class TestBankFile:
    def test_every_theme_has_questions(self):
        """Each priority theme of the issue has at least three questions in the bank."""
        counts = {group.theme: len(group.questions) for group in bank.questions_by_theme()}
        assert set(counts) == set(Theme.values)
        assert min(counts.values()) >= 3

    def test_every_need_can_be_signalled(self):
        """A question that measures a need has choices, and at least one of them signals it."""
        measuring = [q for q in bank.load_bank().questions if q.need]
        assert measuring
        for question in measuring:
            assert question.kind in CHOICE_KINDS, question.name
            assert any(choice.signals_need for choice in question.choices), question.name

    def test_names_are_bank_codes(self):
        """A bank question's name is its bank code, which travels with it into surveys."""
        assert all(q.bank_code == q.name for q in bank.load_bank().questions)

    def test_pyxform_converts_the_bank(self):
        """The bank is a valid XLSForm for ODK Collect too."""
        data = markdown_to_xlsx(bank.BANK_PATH.read_text(encoding="utf-8"))
        assert "Vivez-vous seul(e)" in convert(xlsform=data, file_type=".xlsx", warnings=[]).xform


class TestSelect:
    def test_keeps_bank_order_and_sections(self):
        """Chosen questions stay in the bank's order, in their theme's section."""
        sections = bank.select_from_bank(["mob_voiture", "iso_seul"])
        assert [(s.name, [q.name for q in s.questions]) for s in sections] == [
            ("isolation", ["iso_seul"]),
            ("mobilite", ["mob_voiture"]),
        ]

    def test_brings_what_conditions_refer_to(self):
        """A question shown only after another answer brings that question along."""
        sections = bank.select_from_bank(["sante_raisons"])
        assert [q.name for s in sections for q in s.questions] == ["sante_renoncement", "sante_raisons"]

    def test_unknown_code(self):
        """A code the bank does not have is named."""
        with pytest.raises(ValueError, match="inconnue"):
            bank.select_from_bank(["inconnue"])


@pytest.mark.django_db
class TestCreateFromBank:
    def test_version_one_from_bank(self, landlord):
        """A survey made from the bank is a draft whose version 1 holds the questions, needs and signals."""
        survey = survey_services.create_survey_from_bank(
            organisation=landlord, title="Bien vivre à Issoudun", bank_codes=["iso_appel_bailleur", "num_aisance"]
        )
        version = survey.current_version
        assert survey.status == SurveyStatus.DRAFT
        assert (version.number, version.source, version.form_id) == (1, "banque", "bien_vivre_a_issoudun")
        questions = list(version.questions.order_by("position"))
        assert [(q.position, q.name, q.section.name) for q in questions] == [
            (1, "iso_seul", "isolation"),
            (2, "iso_appel_bailleur", "isolation"),
            (3, "num_aisance", "numerique"),
        ]
        seul = questions[0]
        assert (seul.kind, seul.theme, seul.need, seul.bank_code, seul.required) == (
            QuestionKind.YES_NO,
            "isolation",
            "isolation",
            "iso_seul",
            True,
        )
        assert list(seul.choices.values_list("value", "signals_need")) == [("oui", True), ("non", False)]
        assert questions[2].kind == QuestionKind.SCALE
        assert questions[1].relevant == "${iso_seul} = 'oui'"
