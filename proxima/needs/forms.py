"""Forms of the needs app: the questions of a survey version, and the details around an answer.

:class:`AnswersForm` turns questions (one section, or a whole version) into fields; its checks are
those of :mod:`proxima.needs.validation`, the same as the submission service's, so a page never
accepts what the service would refuse. Each field carries what ``needs/_question.html`` shows:
the hint, the condition in plain French and the rule the answer must follow.
"""

import datetime as dt

from django import forms
from django.forms.boundfield import BoundField
from django.utils import timezone

from proxima.needs.enums import ASSISTED_CHANNELS, QuestionKind
from proxima.needs.services import rule_of
from proxima.needs.validation import ALL, check_answers, condition_text


class QuestionBoundField(BoundField):
    """Links a single input to its hint and error (a group of choices is described on its fieldset)."""

    @property
    def described_by(self) -> str:
        """The ids of the question's hint and error, as ``_question.html`` writes them."""
        described = [f"{self.auto_id}_aide"] if self.field.has_description else []
        if self.errors:
            described.append(f"{self.auto_id}_erreur")
        return " ".join(described)

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if not self.use_fieldset and self.described_by:
            attrs["aria-describedby"] = self.described_by
        return attrs


def _question_field(question) -> forms.Field:
    choices = [(c.value, c.label) for c in question.choices.all()]
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, required=False)
    if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.SCALE, QuestionKind.YES_NO):
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, required=False)
    if question.kind == QuestionKind.NUMBER:
        return forms.CharField(required=False, widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}))
    if question.kind == QuestionKind.DATE:
        # Browsers without a date picker send what was typed: the checks also take JJ/MM/AAAA.
        return forms.CharField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    return forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class AnswersForm(forms.Form):
    """The answers to ``questions``: one field per question, named after it (prefix ``q``).

    ``context`` holds the answers already given to earlier sections, which conditions may refer
    to; ``naming`` the questions that conditions may name (all those of the version, by default
    only ``questions``). After validation, ``answers`` holds the answers kept, as the service stores them.
    """

    bound_field_class = QuestionBoundField

    def __init__(self, *args, questions, context=None, naming=None, **kwargs):
        kwargs.setdefault("prefix", "q")
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        self.rules = [rule_of(q) for q in self.questions]
        naming = naming or self.rules
        self.context = dict(context or {})
        self.answers = {}
        for question, rule in zip(self.questions, self.rules, strict=True):
            field = _question_field(question)
            field.label = question.label
            field.kind = question.kind
            field.hint_text = question.hint
            field.question_required = question.required
            field.condition = condition_text(rule.relevant, naming)
            field.rule_text = question.constraint_message or condition_text(rule.constraint, naming)
            field.has_description = bool(field.hint_text or field.condition or field.rule_text)
            self.fields[question.name] = field

    def clean(self):
        cleaned = super().clean()
        raw = {name: cleaned.get(name) for name in self.fields if name not in self.errors}
        checked = check_answers([r for r in self.rules if r.name not in self.errors], raw, context=self.context)
        for name, messages in checked.errors.items():
            for message in messages:
                self.add_error(None if name == ALL else name, message)
        self.answers = checked.values
        return cleaned

    def add_rejection(self, errors: dict[str, list[str]]) -> None:
        """Show the service's refusal (:class:`proxima.needs.services.ResponseRejected`) next to each question."""
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class CodeForm(forms.Form):
    """The code printed on a household's letter, as a resident types it."""

    code = forms.CharField(
        label="Code indiqué sur votre courrier",
        help_text="8 lettres et chiffres, par exemple ABCD 2345. Les espaces et les minuscules ne comptent pas.",
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "size": 12}
        ),
        error_messages={"required": "Saisissez le code indiqué sur votre courrier."},
    )

    def clean_code(self):
        return "".join(ch for ch in self.cleaned_data["code"].upper() if ch.isalnum())


class EntryForm(forms.Form):
    """When the answers were collected (never in the future), and the id that makes a second submission harmless.

    The id is generated when the entry screen opens: submitting the same screen twice finds the response
    already recorded (see ``services.submit_response``).
    """

    collected_on = forms.DateField(label="Date du recueil", widget=forms.DateInput(attrs={"type": "date"}))
    client_id = forms.UUIDField(widget=forms.HiddenInput)

    def clean_collected_on(self):
        collected_on = self.cleaned_data["collected_on"]
        if collected_on > timezone.localdate():
            raise forms.ValidationError("La date ne peut pas être dans le futur.")
        return collected_on

    @staticmethod
    def initial_for(client_id, today: dt.date | None = None) -> dict:
        return {"client_id": client_id, "collected_on": today or timezone.localdate()}


class AssistedEntryForm(EntryForm):
    """An answer entered by staff: the channel, then the date and id of every entry screen."""

    channel = forms.ChoiceField(label="Canal", choices=[(c.value, c.label) for c in ASSISTED_CHANNELS])
    field_order = ["channel", "collected_on", "client_id"]


class CollectSearchForm(forms.Form):
    """Which survey, and which household by its lease reference, to enter answers for."""

    survey = forms.ModelChoiceField(label="Enquête", queryset=None, empty_label="Choisir une enquête")
    q = forms.CharField(label="Référence du bail", required=False, max_length=50)

    def __init__(self, *args, surveys, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = surveys
