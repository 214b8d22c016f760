"""Synthetic survey answers for the demo: who answers, through which channel, and what they answer.

The demo must show why non-response weighting matters, so answering is not at random: older
residents answer more (by paper, phone or at home) and younger ones less (on the web), and the
needs a household reports depend on its situation (age, living alone, arrears, no car, distance
to France services). The probabilities below are illustrative orders of magnitude chosen for a
readable demo, not measured figures; the demo pages say the data are synthetic.

Pure module: plain data in, plain data out, seeded.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from proxima.needs.expressions import evaluate


@dataclass(frozen=True)
class QuestionSpec:
    name: str
    kind: str  # a proxima.needs.enums.QuestionKind value
    need: str = ""
    required: bool = False
    relevant: str = ""
    constraint: str = ""
    choices: Sequence[tuple[str, bool]] = field(default_factory=tuple)  # (value, signals the need)


@dataclass(frozen=True)
class HouseholdProfile:
    household_id: int
    age: int | None  # of the reference person
    persons: int
    in_arrears: bool
    has_car: bool | None
    far_from_services: bool


@dataclass(frozen=True)
class SyntheticResponse:
    household_id: int
    channel: str  # a proxima.needs.enums.Channel value
    answers: dict[str, str]


def need_probabilities(h: HouseholdProfile) -> dict[str, float]:
    """The chance that the household has each need (Need codes), from its situation."""
    age = h.age or 50
    elderly, alone, arrears = age >= 75, h.persons == 1, h.in_arrears
    no_car = h.has_car is False
    return {
        "isolation": 0.10 + 0.35 * (elderly and alone) + 0.10 * alone,
        "home_help": 0.05 + 0.30 * elderly,
        "charges_burden": 0.10 + 0.50 * arrears,
        "energy_poverty": 0.12 + 0.20 * arrears,
        "benefits_access": 0.15 + 0.15 * arrears,
        "budget_help": 0.08 + 0.40 * arrears,
        "mobility": 0.10 + 0.40 * no_car + 0.10 * h.far_from_services,
        "digital_help": 0.10 + 0.45 * (age >= 70),
        "digital_access": 0.08 + 0.20 * elderly,
        "health_access": 0.15 + 0.15 * h.far_from_services + 0.10 * elderly,
        "paperwork_help": 0.15 + 0.25 * elderly + 0.15 * arrears,
        "social_activities": 0.20 + 0.10 * alone,
        "service_quality": 0.15,
    }


def response_probability(h: HouseholdProfile) -> float:
    """Older residents answer more often than younger ones: the bias the weighting corrects."""
    age = h.age or 50
    if age >= 75:
        return 0.45
    if age >= 60:
        return 0.35
    if age >= 30:
        return 0.22
    return 0.12


def _channel(h: HouseholdProfile, rng: random.Random) -> str:
    age = h.age or 50
    if age >= 75:
        options = [("paper", 45), ("phone", 30), ("home_visit", 15), ("offline", 10)]
    elif age >= 45:
        options = [("web", 35), ("paper", 35), ("phone", 20), ("mobile_agency", 10)]
    else:
        options = [("web", 70), ("paper", 10), ("phone", 15), ("concierge", 5)]
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights)[0]


def _answer(question: QuestionSpec, has_need: bool, answers: dict[str, str], rng: random.Random) -> str | None:
    if question.kind in ("single_choice", "yes_no", "scale"):
        signalling = [v for v, s in question.choices if s]
        others = [v for v, s in question.choices if not s]
        pool = (signalling if has_need else others) if question.need else [v for v, _ in question.choices]
        return rng.choice(pool or [v for v, _ in question.choices])
    if question.kind == "multiple_choice":
        signalling = [v for v, s in question.choices if s]
        others = [v for v, s in question.choices if not s]
        if has_need and signalling:
            chosen = rng.sample(signalling, rng.randint(1, len(signalling)))
        else:
            chosen = [rng.choice(others or signalling)]
        return " ".join(v for v, _ in question.choices if v in chosen)
    if question.kind == "number" and question.required:
        for value in ("1", "2", "3", "5", "10", "18", "30", "50", "70"):
            if not question.constraint or evaluate(question.constraint, answers, current=value):
                return value
    return None  # dates and free text are left blank in the demo


def synthesize_responses(
    households: Sequence[HouseholdProfile], questions: Sequence[QuestionSpec], *, seed: int = 0
) -> list[SyntheticResponse]:
    """Draw who answers, how, and what, for a survey's questions (in the order they are asked)."""
    rng = random.Random(seed)
    responses = []
    for h in households:
        if rng.random() >= response_probability(h):
            continue
        needs = {need for need, p in need_probabilities(h).items() if rng.random() < p}
        answers: dict[str, str] = {}
        for question in questions:
            if question.relevant and not evaluate(question.relevant, answers):
                continue
            value = _answer(question, question.need in needs, answers, rng)
            if value is None:
                continue
            if question.constraint and not evaluate(question.constraint, answers, current=value):
                continue
            answers[question.name] = value
        responses.append(SyntheticResponse(h.household_id, _channel(h, rng), answers))
    return responses
