"""The subset of XLSForm expressions Proxima understands, for conditions (``relevant``) and constraints.

XLSForm writes them in ODK XPath. Proxima takes the part that survey forms of social landlords use
and that a resident can be told in words:

- references to earlier answers, ``${name}``, and to the answer being checked, ``.``;
- text (``'oui'`` or ``"oui"``) and numbers (``18``, ``2.5``);
- comparisons ``=  !=  <  <=  >  >=``, combined with ``and``, ``or``, ``not(...)`` and parentheses;
- ``selected(${name}, 'value')`` for multiple choices, ``count-selected(${name})``, ``string-length(.)``.

Anything else (other functions, arithmetic, paths) is refused with the position of the problem, so a
form never carries a condition that Proxima would evaluate differently from ODK Collect.

Values are answers as XLSForm writes them: text, with a multiple choice's values separated by spaces.
An unanswered question is the empty string. As in XPath 1.0, a comparison with a number compares
numbers, and is false when the answer is not a number (an unanswered question included).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["ExpressionError", "describe", "evaluate", "parse", "referenced_names"]


class ExpressionError(ValueError):
    """An expression Proxima cannot take; ``position`` is the 1-based column of the problem."""

    def __init__(self, message: str, position: int):
        super().__init__(f"{message} (caractère {position})")
        self.message = message
        self.position = position


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{(?P<name>[A-Za-z_][\w.-]*)\})
      | (?P<number>\d+(?:\.\d+)?)
      | '(?P<squote>[^']*)' | "(?P<dquote>[^"]*)"
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z][\w-]*)
      | (?P<dot>\.)
    )""",
    re.VERBOSE,
)

FUNCTIONS = {"selected": 2, "count-selected": 1, "string-length": 1, "not": 1}


@dataclass(frozen=True)
class _Token:
    kind: str  # ref, number, text, op, punct, word, dot, end
    value: str
    position: int


def _tokens(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            start = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise ExpressionError(f"« {text[start]} » n'est pas compris", start + 1)
        start = match.start() + len(match.group(0)) - len(match.group(0).lstrip()) + 1
        if match.group("ref"):
            tokens.append(_Token("ref", match.group("name"), start))
        elif match.group("number"):
            tokens.append(_Token("number", match.group("number"), start))
        elif match.group("squote") is not None or match.group("dquote") is not None:
            value = match.group("squote") if match.group("squote") is not None else match.group("dquote")
            tokens.append(_Token("text", value, start))
        elif match.group("op"):
            tokens.append(_Token("op", match.group("op"), start))
        elif match.group("punct"):
            tokens.append(_Token("punct", match.group("punct"), start))
        elif match.group("word"):
            tokens.append(_Token("word", match.group("word"), start))
        else:
            tokens.append(_Token("dot", ".", start))
        pos = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    """Recursive descent: or_expr := and_expr ('or' and_expr)*; and_expr := comparison ('and' comparison)*."""

    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, kind: str, value: str, what: str) -> None:
        token = self.take()
        if token.kind != kind or token.value != value:
            found = token.value or "la fin"
            raise ExpressionError(f"{what} attendu, « {found} » trouvé", token.position)

    def parse(self):
        if self.peek().kind == "end":
            raise ExpressionError("expression vide", 1)
        tree = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            raise ExpressionError(f"« {token.value} » inattendu", token.position)
        return tree

    def or_expr(self):
        left = self.and_expr()
        while self.peek().kind == "word" and self.peek().value == "or":
            self.take()
            left = ("or", left, self.and_expr())
        return left

    def and_expr(self):
        left = self.comparison()
        while self.peek().kind == "word" and self.peek().value == "and":
            self.take()
            left = ("and", left, self.comparison())
        return left

    def comparison(self):
        left = self.operand()
        if self.peek().kind == "op":
            op = self.take().value
            return ("cmp", op, left, self.operand())
        return left

    def operand(self):
        token = self.take()
        if token.kind == "ref":
            return ("ref", token.value)
        if token.kind == "dot":
            return ("current",)
        if token.kind == "number":
            return ("number", float(token.value))
        if token.kind == "text":
            return ("text", token.value)
        if token.kind == "punct" and token.value == "(":
            inner = self.or_expr()
            self.expect("punct", ")", "« ) »")
            return inner
        if token.kind == "word":
            if token.value in ("true", "false") and self.peek().value == "(":
                self.take()
                self.expect("punct", ")", "« ) »")
                return ("bool", token.value == "true")
            if token.value not in FUNCTIONS:
                raise ExpressionError(
                    f"la fonction ou le mot « {token.value} » n'est pas pris en charge", token.position
                )
            self.expect("punct", "(", "« ( »")
            args = [self.or_expr()]
            while self.peek().kind == "punct" and self.peek().value == ",":
                self.take()
                args.append(self.or_expr())
            self.expect("punct", ")", "« ) »")
            if len(args) != FUNCTIONS[token.value]:
                raise ExpressionError(
                    f"{token.value}() prend {FUNCTIONS[token.value]} argument(s), pas {len(args)}", token.position
                )
            if token.value == "selected" and args[0][0] not in ("ref", "current"):
                raise ExpressionError("selected() porte sur une question : ${nom}", token.position)
            return ("call", token.value, *args)
        found = token.value or "la fin"
        raise ExpressionError(f"une valeur était attendue, « {found} » trouvé", token.position)


def parse(text: str):
    """Parse ``text`` into a tree of tuples, or raise :class:`ExpressionError` saying where and what."""
    return _Parser(text).parse()


def referenced_names(text: str) -> set[str]:
    """The question names an expression refers to with ``${name}``."""
    names = set()

    def walk(node):
        if node[0] == "ref":
            names.add(node[1])
        for child in node[1:]:
            if isinstance(child, tuple):
                walk(child)

    walk(parse(text))
    return names


def _number(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, float):
        return value
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _truthy(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0
    return value != ""


def _compare(op: str, left, right) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        a, b = _number(left), _number(right)
        if a is None or b is None:
            return op == "!="
    else:
        a, b = str(left), str(right)
        if op not in ("=", "!="):
            a, b = _number(a), _number(b)
            if a is None or b is None:
                return False
    return {
        "=": a == b,
        "!=": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


def _value(node, answers: Mapping[str, str], current: str):
    kind = node[0]
    if kind == "ref":
        return answers.get(node[1], "") or ""
    if kind == "current":
        return current
    if kind in ("number", "text", "bool"):
        return node[1]
    if kind == "cmp":
        return _compare(node[1], _value(node[2], answers, current), _value(node[3], answers, current))
    if kind == "and":
        return _truthy(_value(node[1], answers, current)) and _truthy(_value(node[2], answers, current))
    if kind == "or":
        return _truthy(_value(node[1], answers, current)) or _truthy(_value(node[2], answers, current))
    name, args = node[1], node[2:]
    if name == "not":
        return not _truthy(_value(args[0], answers, current))
    if name == "selected":
        return str(_value(args[1], answers, current)) in str(_value(args[0], answers, current)).split()
    if name == "count-selected":
        return float(len(str(_value(args[0], answers, current)).split()))
    return float(len(str(_value(args[0], answers, current))))  # string-length


def evaluate(text: str, answers: Mapping[str, str], *, current: str = "") -> bool:
    """Whether the expression holds, given the answers so far (``{name: value}``) and the current answer (``.``)."""
    return _truthy(_value(parse(text), answers, current))


def describe(text: str, labels: Mapping[str, str], choice_labels: Mapping[str, Mapping[str, str]]) -> str:
    """The expression in plain French for a resident or a paper form.

    ``labels`` maps a question name to how to call it (for example « question 3 »), ``choice_labels``
    maps a question name to its choices' labels by value.
    """

    def say(node) -> str:
        kind = node[0]
        if kind == "ref":
            return labels.get(node[1], node[1])
        if kind == "current":
            return "la réponse"
        if kind == "number":
            return f"{node[1]:g}".replace(".", ",")
        if kind == "text":
            return f"« {node[1]} »"
        if kind == "bool":
            return "vrai" if node[1] else "faux"
        if kind == "cmp":
            op, left, right = node[1], node[2], node[3]
            if left[0] == "ref" and right[0] == "text":
                choice = choice_labels.get(left[1], {}).get(right[1], right[1])
                if op == "=":
                    return f"vous avez répondu « {choice} » à {say(left)}"
                if op == "!=":
                    return f"vous n'avez pas répondu « {choice} » à {say(left)}"
            words = {
                "=": "est égal à",
                "!=": "est différent de",
                "<": "est moins que",
                "<=": "est au plus",
                ">": "est plus que",
                ">=": "est au moins",
            }
            return f"{say(left)} {words[op]} {say(right)}"
        if kind == "and":
            return f"{say(node[1])} et {say(node[2])}"
        if kind == "or":
            return f"{say(node[1])} ou {say(node[2])}"
        name, args = node[1], node[2:]
        if name == "not":
            return f"il n'est pas vrai que {say(args[0])}"
        if name == "selected":
            question = args[0][1] if args[0][0] == "ref" else ""
            value = args[1][1] if args[1][0] == "text" else say(args[1])
            choice = choice_labels.get(question, {}).get(value, value)
            return f"vous avez coché « {choice} » à {say(args[0])}"
        if name == "count-selected":
            return f"le nombre de cases cochées à {say(args[0])}"
        return f"la longueur de {say(args[0])}"

    return say(parse(text))
