"""A project's funding file, as a funder or a board reads it: the project, its budget by year, the co-financing
plan with each application, the checks of every rate and cap, and the remaining net cost per year. One context
feeds both the PDF (WeasyPrint, through ``proxima/core/pdf.py``) and the XLSX workbook (openpyxl)."""

import datetime as dt
import io

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Font

from proxima.funding import services
from proxima.funding.models import FundingLine, Project


def file_context(project: Project, *, today: dt.date) -> dict:
    lines = list(FundingLine.objects.filter(plan__project=project).select_related("scheme").order_by("pk"))
    budget = list(project.budget_lines.all())
    return {
        "project": project,
        "today": today,
        "communes": sorted(c.name for c in project.communes.all()),
        "themes": [services.theme_labels().get(t, t) for t in project.themes],
        "budget": budget,
        "total_cost": sum((b.amount for b in budget), 0),
        "lines": lines,
        "check": services.check_project_plan(project, today=today),
    }


def file_html(context: dict) -> str:
    return render_to_string("funding/project_file.html", context)


def _bold(sheet):
    for cell in sheet[1]:
        cell.font = Font(bold=True)


def file_xlsx(context: dict) -> bytes:
    """The funding file as a workbook: sheets Projet, Budget, Plan, Contrôles, Reste à charge."""
    project, check = context["project"], context["check"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Projet"
    sheet.append(["Rubrique", "Valeur"])
    for label, value in (
        ("Projet", project.name),
        ("Porteur", project.get_beneficiary_display()),
        ("Étape", project.get_stage_display()),
        ("Thèmes", ", ".join(context["themes"])),
        ("Communes", ", ".join(context["communes"])),
        ("Démarrage", project.start_on),
        ("Première demande", project.request_on),
        ("Durée (mois)", project.duration_months),
        ("Projet commun de plusieurs bailleurs", "oui" if project.is_joint else "non"),
        ("Coût total (€)", check.total_cost),
        ("Financements (€)", check.total_funding),
        ("dont financements publics (€)", check.public_funding),
        ("Reste à charge (€)", check.net_cost),
        ("Établi le", context["today"]),
    ):
        sheet.append([label, value])
    _bold(sheet)

    sheet = workbook.create_sheet("Budget")
    sheet.append(["Année", "Poste", "Type de dépense", "Libellé", "ETP", "Montant (€)"])
    for line in context["budget"]:
        sheet.append(
            [line.year, line.get_kind_display(), line.get_expense_type_display(), line.label, line.fte, line.amount]
        )
    _bold(sheet)

    sheet = workbook.create_sheet("Plan")
    sheet.append(
        [
            "Dispositif",
            "Financeurs",
            "Demande",
            "Prévu (€)",
            "Demandé le",
            "Demandé (€)",
            "Décision le",
            "Obtenu (€)",
            "Versé le",
            "Versé (€)",
        ]
    )
    for line in context["lines"]:
        sheet.append(
            [
                line.scheme.name,
                line.scheme.funders,
                line.get_status_display(),
                line.amount_planned,
                line.requested_on,
                line.amount_requested,
                line.decided_on,
                line.amount_obtained,
                line.paid_on,
                line.amount_paid,
            ]
        )
    _bold(sheet)

    sheet = workbook.create_sheet("Contrôles")
    sheet.append(["Résultat", "Contrôle"])
    for text in check.issues:
        sheet.append(["à corriger", text])
    for text in check.passed:
        sheet.append(["respecté", text])
    _bold(sheet)

    sheet = workbook.create_sheet("Reste à charge")
    sheet.append(["Année", "Coût (€)", "Financements (€)", "Reste à charge (€)"])
    for year in check.years:
        sheet.append([year.year, year.cost, year.funding, year.net_cost])
    sheet.append(["Total", check.total_cost, check.total_funding, check.net_cost])
    _bold(sheet)

    for sheet in workbook.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.value = "'" + cell.value  # never a formula from data
                if isinstance(cell.value, dt.date):
                    cell.number_format = "DD/MM/YYYY"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
