"""Writing surveys: from the question bank, from an XLSForm, new versions, targets, opening and closing.

Each write is one transaction: an import with any problem creates nothing. A version is never changed
once created, so every response can be read against the exact questions it answered: changing the
questions means importing a new version.
"""

import datetime as dt
from collections.abc import Collection, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils.text import slugify

from proxima.accounts import audit
from proxima.accounts.enums import AuditAction
from proxima.needs import bank
from proxima.needs.enums import NEED_THEME, Need, SurveyStatus, Theme
from proxima.needs.models import Choice, Question, Section, Survey, SurveyVersion
from proxima.needs.xlsform import (
    ChoiceDefinition,
    FormDefinition,
    QuestionDefinition,
    SectionDefinition,
    read_xlsform,
    write_xlsform,
)
from proxima.territory.models import Commune, Site

SOURCE_BANK, SOURCE_XLSFORM = "banque", "xlsform"


def read_form(data: bytes) -> FormDefinition:
    """An uploaded XLSForm, checked against Proxima's themes and needs; raises ``XLSFormError``."""
    return read_xlsform(data, themes=Theme.values, needs=Need.values)


def form_id_for(title: str) -> str:
    """An XLSForm ``form_id`` from a title: letters, digits and underscores, starting with a letter."""
    slug = slugify(title).replace("-", "_")[:80]
    return slug if slug[:1].isalpha() else f"enquete_{slug}".rstrip("_")


def form_from_version(version: SurveyVersion) -> FormDefinition:
    """A version's questions as plain data, ready to be written as an XLSForm."""
    sections = version.sections.prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("position").prefetch_related("choices"))
    ).order_by("position")
    return FormDefinition(
        title=version.survey.title,
        form_id=version.form_id,
        version=str(version.number),
        sections=tuple(
            SectionDefinition(
                name=section.name,
                title=section.title,
                relevant=section.relevant,
                questions=tuple(
                    QuestionDefinition(
                        name=question.name,
                        kind=question.kind,
                        label=question.label,
                        hint=question.hint,
                        required=question.required,
                        relevant=question.relevant,
                        constraint=question.constraint,
                        constraint_message=question.constraint_message,
                        theme=question.theme,
                        need=question.need,
                        bank_code=question.bank_code,
                        choices=tuple(
                            ChoiceDefinition(value=choice.value, label=choice.label, signals_need=choice.signals_need)
                            for choice in question.choices.all()
                        ),
                    )
                    for question in section.questions.all()
                ),
            )
            for section in sections
        ),
    )


def export_xlsform(*, version: SurveyVersion) -> bytes:
    """The version as an XLSForm workbook that pyxform converts and Proxima re-imports to the same questions."""
    return write_xlsform(form_from_version(version))


def _add_version(*, survey: Survey, form: FormDefinition, source: str, by) -> SurveyVersion:
    """Write ``form`` as the survey's next version and make it current."""
    Survey.objects.select_for_update().filter(pk=survey.pk).first()  # numbers versions one import at a time
    last = survey.versions.aggregate(last=Max("number"))["last"] or 0
    version = SurveyVersion.objects.create(
        survey=survey, number=last + 1, form_id=form.form_id, source=source, created_by=by
    )
    position = 0
    for section_position, section_form in enumerate(form.sections, start=1):
        section = Section.objects.create(
            version=version,
            position=section_position,
            name=section_form.name,
            title=section_form.title,
            relevant=section_form.relevant,
        )
        for question_form in section_form.questions:
            position += 1
            question = Question.objects.create(
                version=version,
                section=section,
                position=position,
                name=question_form.name,
                kind=question_form.kind,
                label=question_form.label,
                hint=question_form.hint,
                required=question_form.required,
                relevant=question_form.relevant,
                constraint=question_form.constraint,
                constraint_message=question_form.constraint_message,
                # A need belongs to one theme: a form that names only the need gets its theme.
                theme=question_form.theme or (NEED_THEME[Need(question_form.need)] if question_form.need else ""),
                need=question_form.need,
                bank_code=question_form.bank_code,
            )
            Choice.objects.bulk_create(
                Choice(
                    question=question,
                    position=choice_position,
                    value=choice.value,
                    label=choice.label,
                    signals_need=choice.signals_need,
                )
                for choice_position, choice in enumerate(question_form.choices, start=1)
            )
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    return version


@transaction.atomic
def create_survey_from_bank(
    *, organisation, title: str, description: str = "", bank_codes: Collection[str], by=None
) -> Survey:
    """A draft survey whose version 1 holds the chosen bank questions (and those their conditions need)."""
    sections = bank.select_from_bank(bank_codes)
    if not sections:
        raise ValidationError("Choisissez au moins une question ou un thème.")
    survey = Survey.objects.create(organisation=organisation, title=title, description=description, created_by=by)
    form = FormDefinition(title=title, form_id=form_id_for(title), sections=sections)
    _add_version(survey=survey, form=form, source=SOURCE_BANK, by=by)
    return survey


def _record_import(*, survey: Survey, version: SurveyVersion, form: FormDefinition, file_name: str) -> None:
    audit.record(
        action=AuditAction.IMPORT,
        organisation_id=survey.organisation_id,
        target_type="needs.Survey",
        target_id=survey.pk,
        target_repr=str(survey),
        details={"file": file_name, "version": version.number, "questions": len(form.questions)},
    )


@transaction.atomic
def import_survey(*, organisation, data: bytes, file_name: str = "", by=None) -> Survey:
    """A new draft survey from an XLSForm; raises ``XLSFormError`` (and creates nothing) if it has problems."""
    form = read_form(data)
    survey = Survey.objects.create(organisation=organisation, title=form.title, created_by=by)
    version = _add_version(survey=survey, form=form, source=SOURCE_XLSFORM, by=by)
    _record_import(survey=survey, version=version, form=form, file_name=file_name)
    return survey


@transaction.atomic
def import_version(*, survey: Survey, data: bytes, file_name: str = "", by=None) -> SurveyVersion:
    """A new current version of ``survey`` from an XLSForm. Earlier versions and their responses stay as they are."""
    form = read_form(data)
    version = _add_version(survey=survey, form=form, source=SOURCE_XLSFORM, by=by)
    _record_import(survey=survey, version=version, form=form, file_name=file_name)
    return version


@transaction.atomic
def update_survey(
    *, survey: Survey, title: str, description: str, sites: Iterable[Site], communes: Iterable[Commune]
) -> Survey:
    """Title, presentation and targets: sites of the organisation, communes where it has sites."""
    sites, communes = list(sites), list(communes)
    if any(site.organisation_id != survey.organisation_id for site in sites):
        raise ValidationError("Une résidence choisie n'appartient pas à votre organisme.")
    own_communes = set(
        Site.objects.for_organisation(survey.organisation).values_list("commune_id", flat=True).distinct()
    )
    if any(commune.pk not in own_communes for commune in communes):
        raise ValidationError("Une commune choisie n'a aucune résidence de votre organisme.")
    survey.title, survey.description = title, description
    survey.save(update_fields=["title", "description"])
    survey.sites.set(sites)
    survey.communes.set(communes)
    return survey


def _record_transition(*, survey: Survey, before: str, by) -> None:
    audit.record(
        action=AuditAction.UPDATE,
        organisation_id=survey.organisation_id,
        target_type="needs.Survey",
        target_id=survey.pk,
        target_repr=str(survey),
        details={"statut": {"avant": before, "après": survey.status}},
        user=by,
    )


@transaction.atomic
def open_survey(*, survey: Survey, today: dt.date, by=None) -> Survey:
    """Open the survey to answers, on every channel, through its current version."""
    if survey.status == SurveyStatus.OPEN:
        raise ValidationError("L'enquête est déjà ouverte.")
    if survey.current_version_id is None or not survey.current_version.questions.exists():
        raise ValidationError("L'enquête n'a pas encore de questions : créez-la depuis la banque ou importez-la.")
    before = survey.status
    survey.status = SurveyStatus.OPEN
    survey.opens_on = survey.opens_on or today
    survey.closes_on = None
    survey.save(update_fields=["status", "opens_on", "closes_on"])
    _record_transition(survey=survey, before=before, by=by)
    return survey


@transaction.atomic
def close_survey(*, survey: Survey, today: dt.date, by=None) -> Survey:
    """Stop taking answers. The answers received stay, and the survey can be opened again."""
    if survey.status != SurveyStatus.OPEN:
        raise ValidationError("Seule une enquête ouverte peut être close.")
    before = survey.status
    survey.status = SurveyStatus.CLOSED
    survey.closes_on = max(today, survey.opens_on or today)
    survey.save(update_fields=["status", "closes_on"])
    _record_transition(survey=survey, before=before, by=by)
    return survey
