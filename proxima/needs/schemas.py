"""Schemas of the needs API: what an offline tablet downloads and what it sends back."""

import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema

from proxima.needs.expressions import parse
from proxima.needs.validation import condition_text
from proxima.territory.schemas import Page


def _tree(expression: str):
    """The parsed expression (nested lists) that offline.js evaluates, so the tablet and the server agree."""
    return parse(expression) if expression.strip() else None


class ChoiceOut(Schema):
    value: str
    label: str


class QuestionOut(Schema):
    name: str
    kind: str
    label: str
    hint: str
    required: bool
    relevant: str
    relevant_tree: Any = Field(None, description="La condition analysée, évaluée par la tablette.")
    condition_text: str = Field(description="La condition en français simple.")
    constraint: str
    constraint_tree: Any = None
    rule_text: str = Field(description="La règle de la réponse en français simple.")
    choices: list[ChoiceOut]


class SectionOut(Schema):
    name: str
    title: str
    relevant: str
    relevant_tree: Any = None
    condition_text: str
    questions: list[QuestionOut]


class SurveyOut(Schema):
    id: int
    title: str
    description: str
    version: int
    sections: list[SectionOut]

    @staticmethod
    def from_survey(survey, questions, rules) -> "SurveyOut":
        """``questions`` and ``rules`` (:func:`proxima.needs.services.question_rules`) of the current version;
        the rules name the questions in the conditions' plain French."""
        sections = {}
        for question in questions:
            section = question.section
            if section.pk not in sections:
                sections[section.pk] = SectionOut(
                    name=section.name,
                    title=section.title,
                    relevant=section.relevant,
                    relevant_tree=_tree(section.relevant),
                    condition_text=condition_text(section.relevant, rules),
                    questions=[],
                )
            sections[section.pk].questions.append(
                QuestionOut(
                    name=question.name,
                    kind=question.kind,
                    label=question.label,
                    hint=question.hint,
                    required=question.required,
                    relevant=question.relevant,
                    relevant_tree=_tree(question.relevant),
                    condition_text=condition_text(question.relevant, rules),
                    constraint=question.constraint,
                    constraint_tree=_tree(question.constraint),
                    rule_text=question.constraint_message or condition_text(question.constraint, rules),
                    choices=[ChoiceOut(value=c.value, label=c.label) for c in question.choices.all()],
                )
            )
        return SurveyOut(
            id=survey.pk,
            title=survey.title,
            description=survey.description,
            version=survey.current_version.number,
            sections=list(sections.values()),
        )


class HouseholdBriefOut(Schema):
    """What a field agent needs to find a household at the door, and no more (RGPD, art. 5.1.c)."""

    id: int
    reference: str
    site: str
    address: str
    name: str = Field(description="Prénom et initiale du nom du titulaire du bail.")
    answered: bool = Field(description="Le ménage a déjà répondu à l'enquête.")


class HouseholdBriefPage(Page):
    items: list[HouseholdBriefOut]


class ResponseIn(Schema):
    survey: int
    household: int
    channel: str
    answers: dict[str, str | list[str]]
    client_id: uuid.UUID
    collected_on: dt.date


class ResponseOut(Schema):
    id: int
    client_id: uuid.UUID
    created: bool
    needs: list[str]


class RejectedOut(Schema):
    detail: str
    errors: dict[str, list[str]]
