"""Printed letters and paper questionnaires, rendered to PDF with WeasyPrint.

A household's letter is one page — who writes, why, the three ways to answer, its code in large
type and a QR code to the answer page — followed by the paper questionnaire: every section and
question numbered as on the entry screen, boxes to tick, lines to write on, conditions in words.
Every page carries the household's code, so a loose sheet can still be typed in.
"""

import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import segno
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from proxima.core import pdf
from proxima.households.enums import PersonRole
from proxima.households.models import Household, Person
from proxima.needs.enums import QuestionKind
from proxima.needs.expressions import describe
from proxima.needs.models import Invitation, Survey, SurveyVersion

# Households per WeasyPrint document: one layout pass, then progress is reported.
CHUNK_SIZE = 50
# Households per PDF file of a batch (see write_batch).
PART_SIZE = 200


@dataclass(frozen=True)
class PaperChoice:
    value: str
    label: str


@dataclass(frozen=True)
class PaperQuestion:
    number: int
    name: str
    kind: str
    label: str
    hint: str
    required: bool
    choices: tuple[PaperChoice, ...]
    condition: str  # « vous avez répondu « Oui » à la question 1 », or ""
    note: str  # what the answer must respect, in words, or ""
    skip_to: int | None  # where to go on when the condition does not hold; None: the end

    @property
    def is_choice(self) -> bool:
        return bool(self.choices)

    @property
    def is_multiple(self) -> bool:
        return self.kind == QuestionKind.MULTIPLE_CHOICE


@dataclass(frozen=True)
class PaperSection:
    number: int
    title: str
    condition: str
    questions: tuple[PaperQuestion, ...]
    skip_to: int | None


def questionnaire(version: SurveyVersion | None) -> tuple[PaperSection, ...]:
    """The version's sections and questions, numbered in reading order, with their conditions in words."""
    if version is None:
        return ()
    sections = list(version.sections.order_by("position"))
    questions = list(version.questions.order_by("position").prefetch_related("choices"))
    by_section = {section.pk: [] for section in sections}
    for question in questions:
        by_section[question.section_id].append(question)
    ordered = [q for section in sections for q in by_section[section.pk]]
    numbers = {q.name: i for i, q in enumerate(ordered, start=1)}
    labels = {name: f"la question {n}" for name, n in numbers.items()}
    choice_labels = {q.name: {c.value: c.label for c in q.choices.all()} for q in ordered}

    def words(expression: str) -> str:
        return describe(expression, labels, choice_labels) if expression.strip() else ""

    def after(number: int) -> int | None:
        return number + 1 if number < len(ordered) else None

    return tuple(
        PaperSection(
            number=i,
            title=section.title,
            condition=words(section.relevant),
            skip_to=after(numbers[by_section[section.pk][-1].name]) if by_section[section.pk] else None,
            questions=tuple(
                PaperQuestion(
                    number=numbers[q.name],
                    name=q.name,
                    kind=q.kind,
                    label=q.label,
                    hint=q.hint,
                    required=q.required,
                    choices=tuple(PaperChoice(c.value, c.label) for c in q.choices.all()),
                    condition=words(q.relevant),
                    note=q.constraint_message or words(q.constraint),
                    skip_to=after(numbers[q.name]),
                )
                for q in by_section[section.pk]
            ),
        )
        for i, section in enumerate(sections, start=1)
    )


@dataclass(frozen=True)
class Letter:
    code: str
    reference: str
    recipient: str
    address: tuple[str, ...]
    qr: str  # data: URI of the QR code's SVG


def _postal_line(text: str) -> str:
    """La Poste's last address line: capitals without accents (NF Z10-011)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(border=0, dark="#000000")


def answer_link(answer_url: str, code: str) -> str:
    """The address the QR code holds: the answer page with the code filled in."""
    return f"{answer_url}?{urlencode({'code': code})}"


def _recipient(household: Household) -> str:
    persons = list(household.persons.all())
    holders = [p for p in persons if p.role == PersonRole.REFERENCE] or persons
    if not holders:
        return "Aux occupants du logement"
    return f"{holders[0].first_name} {holders[0].last_name.upper()}"


def _letter(invitation: Invitation, answer_url: str) -> Letter:
    household = invitation.household
    dwelling = household.dwelling
    site = dwelling.building.site
    commune = site.commune
    postcode = commune.postcodes.split("|")[0] if commune.postcodes else ""
    street = dwelling.building.address or site.address
    address = tuple(
        line
        for line in (f"Logement {dwelling.reference}", site.name, street, _postal_line(f"{postcode} {commune.name}"))
        if line.strip()
    )
    return Letter(
        code=invitation.code,
        reference=household.reference,
        recipient=_recipient(household),
        address=address,
        qr=qr_data_uri(answer_link(answer_url, invitation.code)),
    )


def invitations_to_print(survey: Survey):
    """The survey's invitations with all a letter shows, in the order of the post round (site, building, dwelling)."""
    return (
        Invitation.objects.filter(survey=survey)
        .select_related("household__dwelling__building__site__commune")
        .prefetch_related(Prefetch("household__persons", queryset=Person.objects.order_by("pk")))
        .order_by(
            "household__dwelling__building__site__name",
            "household__dwelling__building__reference",
            "household__dwelling__reference",
            "pk",
        )
    )


def render_html(
    *, survey: Survey, invitations: Iterable[Invitation], answer_url: str, contact: str = "", sections=None
) -> str:
    """The letters and questionnaires of these invitations as one HTML document, ready for WeasyPrint."""
    if sections is None:
        sections = questionnaire(survey.current_version)
    return render_to_string(
        "needs/pdf/letters.html",
        {
            "survey": survey,
            "organisation": survey.organisation,
            "sections": sections,
            "letters": [_letter(invitation, answer_url) for invitation in invitations],
            "answer_url": answer_url,
            "contact": contact,
            "today": timezone.localdate(),
        },
    )


def _document(html: str):
    return pdf.render_document(html)


def render_pdf(*, survey: Survey, invitations: Iterable[Invitation], answer_url: str, contact: str = "") -> bytes:
    """One PDF for a few households (a single letter printed from its page)."""
    html = render_html(survey=survey, invitations=invitations, answer_url=answer_url, contact=contact)
    return _document(html).write_pdf()


def _pdf_pages(*, survey, invitations, answer_url, contact, sections, progress) -> tuple[bytes, int]:
    documents = []
    for start in range(0, len(invitations), CHUNK_SIZE):
        chunk = invitations[start : start + CHUNK_SIZE]
        html = render_html(survey=survey, invitations=chunk, answer_url=answer_url, contact=contact, sections=sections)
        documents.append(_document(html))
        progress(len(chunk))
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf(), len(pages)


def split_into_parts(
    invitations: list[Invitation], part_size: int | None = None
) -> list[tuple[str, list[Invitation]]]:
    """The batch cut into files for the post round: by site, then in parts of at most ``part_size`` households."""
    part_size = part_size or PART_SIZE
    by_site: dict[int, list[Invitation]] = {}
    for invitation in invitations:
        by_site.setdefault(invitation.household.dwelling.building.site_id, []).append(invitation)
    parts = []
    for number, group in enumerate(by_site.values(), start=1):
        stem = f"{number:02d}-{slugify(group[0].household.dwelling.building.site.name)}"
        count = -(-len(group) // part_size)
        for i in range(count):
            name = f"{stem}-{i + 1}-sur-{count}" if count > 1 else stem
            parts.append((f"{name}.pdf", group[i * part_size : (i + 1) * part_size]))
    return parts


@dataclass(frozen=True)
class BatchFile:
    path: Path
    households: int
    pages: int
    parts: int


def write_batch(
    *,
    survey: Survey,
    invitations: list[Invitation],
    answer_url: str,
    target: Path,
    contact: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> BatchFile:
    """Write the letters of many households: one PDF, or a ZIP of PDFs by site when the batch is large.

    ``target`` is the path without its extension. A WeasyPrint layout holds about 1.6 MB per household
    until written, so a batch is written in parts of at most :data:`PART_SIZE` households: the worker's
    memory stays bounded whatever the number of letters.
    """
    if not invitations:
        raise ValueError("Expected at least one invitation to print.")
    sections = questionnaire(survey.current_version)
    parts = split_into_parts(invitations)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, len(invitations))

    target.parent.mkdir(parents=True, exist_ok=True)
    single = len(parts) == 1
    path = target.with_suffix(".pdf" if single else ".zip")
    partial = path.with_name(path.name + ".part")
    total_pages = 0
    try:
        if single:
            content, total_pages = _pdf_pages(
                survey=survey,
                invitations=invitations,
                answer_url=answer_url,
                contact=contact,
                sections=sections,
                progress=advance,
            )
            partial.write_bytes(content)
        else:
            # PDFs are already compressed: stored as they are.
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
                for name, chunk in parts:
                    content, pages = _pdf_pages(
                        survey=survey,
                        invitations=chunk,
                        answer_url=answer_url,
                        contact=contact,
                        sections=sections,
                        progress=advance,
                    )
                    archive.writestr(name, content)
                    total_pages += pages
        partial.replace(path)  # the download link appears only once the file is complete
    finally:
        partial.unlink(missing_ok=True)
    return BatchFile(path=path, households=len(invitations), pages=total_pages, parts=len(parts))
