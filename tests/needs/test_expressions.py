"""The XLSForm expression subset: parsing, evaluation as ODK Collect does it, errors located, plain French."""

import pytest

from proxima.needs.expressions import ExpressionError, describe, evaluate, parse, referenced_names


class TestEvaluate:
    @pytest.mark.parametrize(
        ("expression", "answers", "expected"),
        [
            ("${seul} = 'oui'", {"seul": "oui"}, True),
            ("${seul} = 'oui'", {"seul": "non"}, False),
            ("${seul} = 'oui'", {}, False),
            ('${seul} != "oui"', {}, True),
            ("${age} >= 75", {"age": "75"}, True),
            ("${age} >= 75", {"age": "74"}, False),
            ("${age} > 18", {}, False),
            ("${age} > ${min}", {"age": "30", "min": "18"}, True),
            ("selected(${aides}, 'papiers')", {"aides": "numerique papiers"}, True),
            ("selected(${aides}, 'papier')", {"aides": "papiers"}, False),
            ("not(selected(${aides}, 'aucune'))", {"aides": "aucune"}, False),
            ("count-selected(${aides}) >= 2", {"aides": "a b"}, True),
            ("${a} = 'x' or ${b} = 'y' and ${c} = 'z'", {"a": "x"}, True),
            ("(${a} = 'x' or ${b} = 'y') and ${c} = 'z'", {"a": "x"}, False),
            ("${n} = 2", {"n": "2.0"}, True),
            ("${n} = 2", {"n": "deux"}, False),
            ("true()", {}, True),
        ],
    )
    def test_conditions(self, expression, answers, expected):
        """Conditions hold as they would in ODK Collect."""
        assert evaluate(expression, answers) is expected

    @pytest.mark.parametrize(("current", "expected"), [("18", True), ("120", True), ("17", False), ("abc", False)])
    def test_constraint_on_current_answer(self, current, expected):
        """``.`` is the answer being checked."""
        assert evaluate(". >= 18 and . <= 120", {}, current=current) is expected

    def test_string_length(self):
        """string-length(.) counts characters."""
        assert evaluate("string-length(.) <= 5", {}, current="abcde")
        assert not evaluate("string-length(.) <= 5", {}, current="abcdef")


class TestParse:
    @pytest.mark.parametrize(
        ("expression", "message", "position"),
        [
            ("", "expression vide", 1),
            ("${a} = ", "une valeur était attendue", 8),
            ("${a} + 1", "« + » n'est pas compris", 6),
            ("today() > ${d}", "la fonction ou le mot « today » n'est pas pris en charge", 1),
            ("selected(${a})", "selected() prend 2 argument(s), pas 1", 1),
            ("(${a} = 'x'", "« ) » attendu", 12),
            ("${a} = 'x' ${b}", "« b » inattendu", 12),
            ("selected('x', 'y')", "selected() porte sur une question", 1),
        ],
    )
    def test_refused_with_position(self, expression, message, position):
        """What Proxima cannot evaluate is refused, saying where."""
        with pytest.raises(ExpressionError) as error:
            parse(expression)
        assert error.value.message.startswith(message)
        assert error.value.position == position

    def test_referenced_names(self):
        """The questions a condition depends on."""
        assert referenced_names("${a} = 'x' and not(selected(${b}, 'y')) or . > ${c}") == {"a", "b", "c"}


class TestDescribe:
    def test_plain_french(self):
        """A condition read out to a resident or printed on paper."""
        labels = {"seul": "la question 1", "aides": "la question 3"}
        choices = {"seul": {"oui": "Oui"}, "aides": {"papiers": "Les papiers"}}
        assert describe("${seul} = 'oui'", labels, choices) == "vous avez répondu « Oui » à la question 1"
        assert (
            describe("selected(${aides}, 'papiers') and ${seul} != 'oui'", labels, choices)
            == "vous avez coché « Les papiers » à la question 3 et vous n'avez pas répondu « Oui » à la question 1"
        )
        assert describe(". >= 18", labels, choices) == "la réponse est au moins 18"
