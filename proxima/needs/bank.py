"""The question bank shipped with Proxima, for the priority themes of services in low-demand territories.

The bank is an XLSForm (``data/question_bank.md``, pyxform's markdown format so its diffs read well),
written for Proxima in plain French. It is read and checked by :func:`proxima.needs.xlsform.read_xlsform`
like any imported form: the bank and imports share one code path. Each group is a theme; each question
carries its theme, the need it measures and which answers signal it. A question's name is its bank code.
"""

import functools
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from proxima.needs.enums import Need, Theme
from proxima.needs.expressions import referenced_names
from proxima.needs.xlsform import FormDefinition, QuestionDefinition, SectionDefinition, markdown_to_xlsx, read_xlsform

BANK_PATH = Path(__file__).resolve().parent / "data" / "question_bank.md"


@functools.cache
def load_bank() -> FormDefinition:
    """The bank as a form (read once per process: it ships with the code)."""
    return read_xlsform(
        markdown_to_xlsx(BANK_PATH.read_text(encoding="utf-8")), themes=Theme.values, needs=Need.values
    )


@dataclass(frozen=True)
class ThemeQuestions:
    theme: str
    label: str
    questions: tuple[QuestionDefinition, ...]


def questions_by_theme(bank: FormDefinition | None = None) -> list[ThemeQuestions]:
    """The bank's questions grouped by theme, in the order of ``Theme``."""
    bank = bank or load_bank()
    return [
        ThemeQuestions(theme.value, str(theme.label), questions)
        for theme in Theme
        if (questions := tuple(q for q in bank.questions if q.theme == theme.value))
    ]


def _with_dependencies(bank: FormDefinition, codes: set[str]) -> set[str]:
    """``codes`` and the questions their conditions and constraints refer to, however indirectly."""
    by_name = {question.name: question for question in bank.questions}
    chosen, pending = set(), list(codes)
    while pending:
        name = pending.pop()
        if name in chosen:
            continue
        chosen.add(name)
        question = by_name[name]
        for text in (question.relevant, question.constraint):
            if text:
                pending.extend(referenced_names(text) - {name})
    return chosen


def select_from_bank(codes: Collection[str], *, bank: FormDefinition | None = None) -> tuple[SectionDefinition, ...]:
    """The bank's sections with only the chosen questions, in the bank's order.

    A chosen question whose condition refers to another question brings that question along, so that
    every condition still has its answer (for example « Pour quelle raison ? » brings the question on
    giving up care). Raises ``ValueError`` naming the codes the bank does not have.
    """
    bank = bank or load_bank()
    unknown = set(codes) - {question.name for question in bank.questions}
    if unknown:
        raise ValueError(f"Questions absentes de la banque : {', '.join(sorted(unknown))}.")
    chosen = _with_dependencies(bank, set(codes))
    sections = []
    for section in bank.sections:
        questions = tuple(question for question in section.questions if question.name in chosen)
        if questions:
            sections.append(replace(section, questions=questions))
    return tuple(sections)
