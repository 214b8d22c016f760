"""Forms of the visit log: the anonymous welcome and note, and one row per household met."""

from django import forms

from proxima.agency.enums import FollowUp, VisitTopic
from proxima.agency.visit_logs import ContactEntry

MAX_ROWS = 30


class VisitLogForm(forms.Form):
    anonymous_count = forms.IntegerField(
        label="Personnes accueillies sans être identifiées",
        min_value=0,
        max_value=999,
        initial=0,
        error_messages={
            "min_value": "Saisissez un nombre de personnes entre 0 et 999.",
            "max_value": "Saisissez un nombre de personnes entre 0 et 999.",
        },
        help_text="Les personnes qui n'ont pas donné leur référence de bail, ou qui ne sont pas locataires.",
    )
    anonymous_topics = forms.MultipleChoiceField(
        label="Sujets abordés avec ces personnes",
        choices=VisitTopic.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(
        label="Remarque sur le passage",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Courte et factuelle, sans nom : affluence, matériel, lieu (500 caractères au plus).",
    )

    def clean(self):
        data = super().clean()
        if data.get("anonymous_topics") and not data.get("anonymous_count"):
            self.add_error(
                "anonymous_count", "Des sujets sont cochés : indiquez combien de personnes les ont abordés."
            )
        return data


class ContactForm(forms.Form):
    """A household met, found by its lease reference among the households the agent may name."""

    reference = forms.CharField(label="Référence du bail", max_length=50, required=False)
    topics = forms.MultipleChoiceField(
        label="Sujets abordés", choices=VisitTopic.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    follow_up = forms.ChoiceField(label="Suite donnée", choices=FollowUp.choices, initial=FollowUp.NONE)

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.households = households
        # The households whose reference the error message suggests: showing them reads household data, so the
        # view writes them to the audit trail with the rest of the page (see BaseContactFormSet.suggested_ids).
        self.suggested_ids: list[int] = []

    def clean(self):
        data = super().clean()
        reference = (data.get("reference") or "").strip()
        if not reference:
            if data.get("topics") or data.get("follow_up", FollowUp.NONE) != FollowUp.NONE:
                self.add_error("reference", "Indiquez la référence du bail du ménage rencontré.")
            return data
        matches = list(self.households.filter(reference=reference)[:1]) or list(
            self.households.filter(reference__iexact=reference)[:2]
        )
        if len(matches) != 1:
            close = list(
                self.households.filter(reference__icontains=reference)
                .order_by("reference")
                .values_list("pk", "reference")[:5]
            )
            self.suggested_ids = [pk for pk, _ in close]
            message = f"Aucun ménage de vos résidences n'a la référence de bail « {reference} »."
            if close:
                message += f" Références proches : {', '.join(ref for _, ref in close)}."
            self.add_error("reference", message)
            return data
        data["household"] = matches[0]
        return data


class BaseContactFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:  # initial rows only: a blank row is left blank instead
            form.fields["DELETE"].label = "Retirer ce ménage du compte rendu"

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            household = form.cleaned_data.get("household")
            if household is None or form.cleaned_data.get("DELETE"):
                continue
            if household.pk in seen:
                form.add_error("reference", "Ce ménage est déjà sur une autre ligne.")
            seen.add(household.pk)

    def suggested_ids(self) -> list[int]:
        """The households whose reference the rows' errors suggest (« Références proches »), in row order.

        Validates the rows first if needed, so that the ids are those the page will show even when the view
        stopped at another form's errors.
        """
        self.is_valid()  # validates the rows once, if not done yet: each row's clean() fills its suggested_ids
        return [pk for form in self.forms for pk in form.suggested_ids]

    def entries(self) -> list[ContactEntry]:
        """The households met, rows left blank or ticked "retirer" aside."""
        return [
            ContactEntry(
                household=form.cleaned_data["household"],
                topics=tuple(form.cleaned_data.get("topics") or ()),
                follow_up=form.cleaned_data["follow_up"],
            )
            for form in self.forms
            if form.cleaned_data.get("household") is not None and not form.cleaned_data.get("DELETE")
        ]


def contact_formset(*, households, data=None, initial=(), extra: int = 3):
    """The rows of households met: one per ``initial`` contact, then ``extra`` blank ones (at most 30 rows)."""
    extra = max(0, min(extra, MAX_ROWS - len(initial)))
    formset_class = forms.formset_factory(
        ContactForm,
        formset=BaseContactFormSet,
        extra=extra,
        can_delete=True,
        can_delete_extra=False,
        max_num=MAX_ROWS,
        validate_max=True,
    )
    return formset_class(data, initial=list(initial), prefix="menages", form_kwargs={"households": households})
