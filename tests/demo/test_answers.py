"""The demo's synthetic answers: biased response like real surveys, needs that follow the household's situation."""

from proxima.demo.answers import HouseholdProfile, QuestionSpec, synthesize_responses
from proxima.needs.expressions import evaluate

QUESTIONS = [
    QuestionSpec("seul", "yes_no", need="isolation", required=True, choices=(("oui", True), ("non", False))),
    QuestionSpec(
        "visites",
        "single_choice",
        need="isolation",
        relevant="${seul} = 'oui'",
        choices=(("souvent", False), ("rarement", True), ("jamais", True)),
    ),
    QuestionSpec(
        "aides",
        "multiple_choice",
        need="paperwork_help",
        choices=(("papiers", True), ("numerique", False), ("aucune", False)),
    ),
    QuestionSpec("age", "number", required=True, constraint=". >= 18 and . <= 120"),
    QuestionSpec("remarque", "text"),
]


def population(n, *, age, persons=1):
    return [HouseholdProfile(i, age, persons, False, True, False) for i in range(n)]


class TestSynthesizeResponses:
    def test_same_seed_same_answers(self):
        """The demo is rebuilt identically."""
        households = population(200, age=80)
        assert synthesize_responses(households, QUESTIONS, seed=3) == synthesize_responses(
            households, QUESTIONS, seed=3
        )

    def test_older_residents_answer_more(self):
        """Response is biased by age, so that the weighting has something to correct."""
        old = len(synthesize_responses(population(2000, age=80), QUESTIONS, seed=1))
        young = len(synthesize_responses(population(2000, age=25), QUESTIONS, seed=1))
        assert old > 2.5 * young

    def test_answers_respect_conditions_and_constraints(self):
        """Every answer is one the survey accepts: conditions, constraints, required answers."""
        for response in synthesize_responses(population(500, age=78), QUESTIONS, seed=2):
            answers = response.answers
            assert answers["seul"] in ("oui", "non")
            assert ("visites" in answers) == (answers["seul"] == "oui")
            assert evaluate(". >= 18 and . <= 120", {}, current=answers["age"])
            assert "remarque" not in answers

    def test_elderly_living_alone_report_isolation_more(self):
        """Needs follow the household's situation."""

        def isolated_share(households):
            responses = synthesize_responses(households, QUESTIONS, seed=4)
            return sum(r.answers.get("visites") in ("rarement", "jamais") for r in responses) / len(responses)

        assert isolated_share(population(3000, age=85)) > isolated_share(population(3000, age=40, persons=3)) + 0.2
