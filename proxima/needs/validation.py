"""Checking a household's answers against the questions of one survey version.

The same rules serve every channel (web pages, assisted entry, offline sync, paper): the submission
service calls :func:`check_answers` with every question of the version; a page showing one section
calls it with that section's questions and the earlier answers as ``context``.

Rules, in question order:

- a question is asked when its section's condition and its own condition hold (``relevant``);
  the answer to a question that is not asked is dropped, as ODK Collect clears it;
- a required question that is asked must be answered;
- a choice answer must be one of the question's choice values (several, separated by spaces, for a
  multiple choice); numbers accept a decimal comma; dates are ISO (``2026-11-02``) or ``02/11/2026``;
- the constraint holds for the answer (``.``);
- a question's need is signalled when a chosen value signals it.

Pure module: plain data in, plain data out.
"""

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from proxima.needs.expressions import describe, evaluate

__all__ = [
    "ALL",
    "Checked",
    "ChoiceRule",
    "QuestionRule",
    "asked_answers",
    "check_answers",
    "condition_text",
    "normalise",
]

# Key of the errors that concern the whole submission rather than one question.
ALL = "__all__"
CHOICE_KINDS = {"single_choice", "multiple_choice", "scale", "yes_no"}
MAX_TEXT_LENGTH = 2000
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class ChoiceRule:
    value: str
    label: str
    signals_need: bool = False


@dataclass(frozen=True)
class QuestionRule:
    """One question as the checks need it. ``kind`` is a :class:`proxima.needs.enums.QuestionKind` value."""

    name: str
    kind: str
    label: str = ""
    required: bool = False
    relevant: str = ""
    section_relevant: str = ""
    constraint: str = ""
    constraint_message: str = ""
    need: str = ""
    choices: tuple[ChoiceRule, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Checked:
    """The outcome of :func:`check_answers`.

    Attributes
    ----------
    values
        The answers kept, as XLSForm writes them, for the questions asked and answered, in question order.
    needs
        The need codes the answers signal, each once, in question order.
    errors
        Question name (or :data:`ALL`) to messages in French; empty when the answers are valid.
    """

    values: dict[str, str]
    needs: tuple[str, ...]
    errors: dict[str, list[str]]


def normalise(value: str | Sequence[str] | None) -> str:
    """One answer as text: a list of choice values is joined with spaces, surrounding blanks are removed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return " ".join(str(v).strip() for v in value if str(v).strip())


def _labels(rules: Sequence[QuestionRule]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    labels = {r.name: f"la question « {r.label or r.name} »" for r in rules}
    choices = {r.name: {c.value: c.label for c in r.choices} for r in rules}
    return labels, choices


def condition_text(expression: str, rules: Sequence[QuestionRule]) -> str:
    """A condition or constraint in plain French, naming the questions by their wording ("" if none)."""
    if not expression.strip():
        return ""
    labels, choices = _labels(rules)
    return describe(expression, labels, choices)


def _check_value(rule: QuestionRule, value: str) -> tuple[str, str | None]:
    """The value as stored, and the error message if it is not valid for the question's kind."""
    if rule.kind in CHOICE_KINDS:
        allowed = [c.value for c in rule.choices]
        chosen = value.split()
        unknown = [v for v in chosen if v not in allowed]
        if unknown:
            return value, f"« {unknown[0]} » n'est pas un des choix proposés."
        if rule.kind != "multiple_choice":
            if len(chosen) > 1:
                return value, "Une seule réponse est possible."
            return chosen[0], None
        return " ".join(v for v in allowed if v in chosen), None
    if rule.kind == "number":
        try:
            number = float(value.replace(",", ".").replace(" ", ""))
        except ValueError:
            return value, "Un nombre est attendu, par exemple 42."
        if number != number or number in (float("inf"), float("-inf")):
            return value, "Un nombre est attendu, par exemple 42."
        return (str(int(number)) if number.is_integer() else repr(number)), None
    if rule.kind == "date":
        match = _FRENCH_DATE.match(value)
        try:
            if match:
                day, month, year = (int(g) for g in match.groups())
                date = dt.date(year, month, day)
            else:
                date = dt.date.fromisoformat(value)
        except ValueError:
            return value, "Une date est attendue, au format JJ/MM/AAAA (par exemple 02/11/2026)."
        return date.isoformat(), None
    if len(value) > MAX_TEXT_LENGTH:
        return value, f"La réponse est trop longue : {MAX_TEXT_LENGTH} caractères au plus."
    return value, None


def _is_asked(rule: QuestionRule, known: Mapping[str, str]) -> bool:
    return (not rule.section_relevant or evaluate(rule.section_relevant, known)) and (
        not rule.relevant or evaluate(rule.relevant, known)
    )


def asked_answers(rules: Sequence[QuestionRule], answers: Mapping[str, str | Sequence[str] | None]) -> dict[str, str]:
    """The answers to the questions of ``rules`` that are asked given the answers, unchecked (progress so far)."""
    known = {name: normalise(value) for name, value in answers.items()}
    for rule in rules:
        if not _is_asked(rule, known):
            known.pop(rule.name, None)
    return {r.name: known[r.name] for r in rules if known.get(r.name)}


def check_answers(
    rules: Sequence[QuestionRule],
    answers: Mapping[str, str | Sequence[str] | None],
    *,
    context: Mapping[str, str] | None = None,
) -> Checked:
    """Check ``answers`` (question name to value) against ``rules``, in the order given.

    Parameters
    ----------
    rules
        The questions to check, in question order.
    answers
        Question name to answer: text, or a list of choice values. Names missing or blank are unanswered.
    context
        Answers to other questions, already checked (earlier sections): conditions may refer to them.

    Returns
    -------
    Checked
        The answers kept, the needs they signal and the errors. A name in ``answers`` that is not in
        ``rules`` is an error under :data:`ALL`.
    """
    names = {r.name for r in rules}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(answers) - names)
    if unknown:
        errors[ALL] = [f"Question inconnue dans ce questionnaire : « {name} »." for name in unknown]
    # What the conditions see: as in ODK Collect, the answer of a question that is not asked is blank.
    known = dict(context or {})
    known.update({name: normalise(value) for name, value in answers.items() if name in names})
    values: dict[str, str] = {}
    needs: list[str] = []
    for rule in rules:
        value = known.get(rule.name, "")
        if not _is_asked(rule, known):
            known.pop(rule.name, None)
            continue
        if value == "":
            if rule.required:
                errors[rule.name] = ["Cette question demande une réponse."]
            continue
        value, error = _check_value(rule, value)
        if error is None and rule.constraint and not evaluate(rule.constraint, known, current=value):
            rule_text = condition_text(rule.constraint, rules)
            error = rule.constraint_message or f"Réponse à revoir : la règle est « {rule_text} »."
        if error is not None:
            errors[rule.name] = [error]
            continue
        known[rule.name] = value
        values[rule.name] = value
        signalling = {c.value for c in rule.choices if c.signals_need}
        if rule.need and rule.need not in needs and signalling & set(value.split()):
            needs.append(rule.need)
    return Checked(values=values if not errors else {}, needs=tuple(needs) if not errors else (), errors=errors)
