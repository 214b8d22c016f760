import itertools

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from proxima.accounts import perms
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate
from proxima.imports import services
from proxima.imports.forms import ImportForm
from proxima.imports.kinds import IMPORTERS, LABELS
from proxima.imports.models import ImportJob, ImportStatus
from proxima.imports.reading import TableError, open_table
from proxima.imports.report_text import ENTITY_LABELS

PREVIEW_ROWS = 10


def _job(request, pk):
    return get_object_or_404(ImportJob.objects.for_organisation(request.user.organisation), pk=pk)


@require(perms.can_import)
def import_list(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = services.create_job(
            organisation=request.user.organisation,
            user=request.user,
            kind=form.cleaned_data["kind"],
            file=form.cleaned_data["file"],
            mapping=form.cleaned_data["mapping"],
            skip_invalid=form.cleaned_data["skip_invalid"],
        )
        return redirect("imports:detail", pk=job.pk)
    jobs = ImportJob.objects.for_organisation(request.user.organisation).select_related("created_by")
    kinds = [{"label": LABELS[kind], "columns": importer.columns} for kind, importer in IMPORTERS.items()]
    return render(
        request,
        "imports/import_list.html",
        {"form": form, "page": paginate(request, jobs), "query": "", "kinds": kinds},
    )


def _preview(job: ImportJob):
    """The first rows of the file as stored, to check at a glance that it is the right one."""
    if not job.file:
        return None
    try:
        table = open_table(job.file.path, display_name=job.original_name)
        return {"headers": table.headers, "rows": [values for _, values in itertools.islice(table, PREVIEW_ROWS)]}
    except TableError:
        return None  # the check's report says why


def _context(job):
    report = job.result or job.validation
    return {
        "job": job,
        "kind_label": LABELS.get(job.kind, job.kind),
        "report": report,
        "entity_labels": ENTITY_LABELS,
        "statuses": ImportStatus,
    }


@require(perms.can_import)
def import_detail(request, pk):
    job = _job(request, pk)
    return render(request, "imports/import_detail.html", {**_context(job), "preview": _preview(job)})


@require(perms.can_import)
def import_progress(request, pk):
    """The status block alone, polled by the page (htmx, or a meta refresh without JavaScript)."""
    job = _job(request, pk)
    if not request.htmx:
        return redirect("imports:detail", pk=job.pk)
    response = render(request, "imports/_status.html", _context(job))
    if not job.is_running:
        # Done: reload the whole page once so the report and actions appear.
        response["HX-Refresh"] = "true"
    return response


@require(perms.can_import)
@require_POST
def import_confirm(request, pk):
    job = _job(request, pk)
    skip_invalid = request.POST.get("skip_invalid") == "1"
    if services.confirm_job(job=job, skip_invalid=skip_invalid):
        messages.success(request, "Import lancé.")
    else:
        messages.info(request, "Cet import a déjà été lancé ou ne peut pas l'être.")
    return redirect("imports:detail", pk=job.pk)


@require(perms.can_import)
@require_POST
def import_discard(request, pk):
    job = _job(request, pk)
    if job.status not in {ImportStatus.READY, ImportStatus.INVALID, ImportStatus.FAILED}:
        messages.error(request, "Seul un import non lancé ou en échec peut être abandonné.")
    else:
        services.discard_files(job)
        job.status = ImportStatus.FAILED
        job.save(update_fields=["status"])
        messages.success(request, "Import abandonné : le fichier déposé a été supprimé.")
    return redirect("imports:list")


ISSUE_EXPORT = [
    ExportColumn("fichier", lambda i: i["file"]),
    ExportColumn("ligne", lambda i: i["line"]),
    ExportColumn("colonne", lambda i: i["column"]),
    ExportColumn("valeur", lambda i: i["value"]),
    ExportColumn("problème", lambda i: i.get("problem", "")),
    ExportColumn("attendu", lambda i: i["expected"]),
]


@require(perms.can_import)
def import_issues(request, pk):
    job = _job(request, pk)
    report = job.result or job.validation
    fmt = request.GET.get("format", "csv")
    if report is None or fmt not in FORMATS:
        raise Http404
    return export_response(fmt, f"erreurs-import-{job.pk}", ISSUE_EXPORT, report["issues"])
