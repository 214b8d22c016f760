"""Loans: the inventory of items (tools, appliances, toys), lending one, its return, the loans out and overdue."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from proxima.accounts import perms
from proxima.concierge import services
from proxima.concierge.forms import ItemForm, LoanFilterForm, LoanForm, ReturnForm
from proxima.concierge.models import Item, Loan
from proxima.concierge.views.common import (
    audit_export,
    audit_names,
    form_errors,
    linkable_households,
    visible_household_ids,
)
from proxima.core.decorators import require
from proxima.core.exports import FORMATS, ExportColumn, export_response
from proxima.core.lists import paginate, querystring_without

ITEM_EXPORT = [
    ExportColumn("numéro d'inventaire", lambda i: i.reference),
    ExportColumn("objet", lambda i: i.name),
    ExportColumn("type", lambda i: i.get_kind_display()),
    ExportColumn("description", lambda i: i.description),
    ExportColumn("durée du prêt (jours)", lambda i: i.loan_days),
    ExportColumn("prêtable", lambda i: i.is_active),
    ExportColumn("prêté", lambda i: i.is_out),
    ExportColumn("à rendre le", lambda i: i.out_until),
]
LOAN_EXPORT = [
    ExportColumn("objet", lambda loan: loan.item.name),
    ExportColumn("numéro d'inventaire", lambda loan: loan.item.reference),
    ExportColumn("type", lambda loan: loan.item.get_kind_display()),
    ExportColumn("emprunteur", lambda loan: loan.name),
    ExportColumn("référence du bail", lambda loan: loan.household.reference if loan.household_id else ""),
    ExportColumn("prêté le", lambda loan: loan.lent_on),
    ExportColumn("à rendre le", lambda loan: loan.due_on),
    ExportColumn("rendu le", lambda loan: loan.returned_on),
    ExportColumn("en retard", lambda loan: loan.is_overdue(timezone.localdate())),
    ExportColumn("état au retour", lambda loan: loan.return_note),
]


def _items(request):
    return Item.objects.for_organisation(request.user.organisation)


def _with_loan_state(items):
    """Each item with whether it is out and until when (two subqueries, no query per item)."""
    out = Loan.objects.filter(item=OuterRef("pk"), returned_on__isnull=True)
    return items.annotate(is_out=Exists(out), out_until=Subquery(out.values("due_on")[:1]))


@require(perms.can_view_concierge)
def item_list(request):
    """The inventory: every item, whether it is out, until when."""
    items = _with_loan_state(_items(request)).order_by("kind", "name", "pk")
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(fmt, "conciergerie-objets", ITEM_EXPORT, items)
    return render(
        request,
        "concierge/item_list.html",
        {
            "page": paginate(request, items),
            "query": querystring_without(request, "page", "format"),
            "can_manage": perms.can_manage_concierge(request.user, request.user.organisation),
        },
    )


def _item_form_page(request, item=None):
    form = ItemForm(request.POST or None, instance=item, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if item is None:
                item = services.create_item(organisation=request.user.organisation, **values)
            else:
                item = services.update_item(item=item, **values)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Objet « {item} » enregistré.")
            return redirect("concierge:item_list")
    return render(request, "concierge/item_form.html", {"form": form, "item": item})


@require(perms.can_manage_concierge)
def item_create(request):
    return _item_form_page(request)


@require(perms.can_manage_concierge)
def item_update(request, pk):
    return _item_form_page(request, get_object_or_404(_items(request), pk=pk))


def _loans(request):
    return Loan.objects.for_organisation(request.user.organisation).select_related("item", "household")


@require(perms.can_view_concierge)
def loan_list(request):
    """The loans out by return date (overdue first), or the overdue, returned or all loans; exported."""
    today = timezone.localdate()
    form = LoanFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    loans = _loans(request)
    state = data.get("state", "")
    if state == "":
        loans = loans.out().order_by("due_on", "pk")
    elif state == "overdue":
        loans = loans.overdue(today).order_by("due_on", "pk")
    elif state == "returned":
        loans = loans.filter(returned_on__isnull=False).order_by("-returned_on", "-pk")
    else:
        loans = loans.order_by("-lent_on", "-pk")
    if kind := data.get("kind"):
        loans = loans.filter(item__kind=kind)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        audit_export(
            request, target_type="concierge.Loan", what="prêts de la conciergerie", fmt=fmt, count=loans.count()
        )
        return export_response(fmt, "conciergerie-prets", LOAN_EXPORT, loans)
    page = paginate(request, loans)
    rows = list(page.object_list)
    audit_names(request, rows, target_type="concierge.Loan", what="prêts de la conciergerie")
    visible = visible_household_ids(request.user, [loan.household_id for loan in rows])
    return render(
        request,
        "concierge/loan_list.html",
        {
            "form": form,
            "page": page,
            "rows": [
                {"loan": loan, "overdue": loan.is_overdue(today), "household_visible": loan.household_id in visible}
                for loan in rows
            ],
            "query": querystring_without(request, "page", "format"),
            "overdue": Loan.objects.for_organisation(request.user.organisation).overdue(today).count(),
            "return_form": ReturnForm(),
        },
    )


@require(perms.can_view_concierge)
def loan_create(request):
    """Lend an item that is in: the items out are not offered."""
    items = (
        _items(request).active().filter(~Exists(Loan.objects.filter(item=OuterRef("pk"), returned_on__isnull=True)))
    )
    initial = {"item": request.GET.get("objet")} if request.GET.get("objet", "").isdigit() else None
    form = LoanForm(request.POST or None, initial=initial, items=items, households=linkable_households(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            loan = services.lend_item(
                item=data["item"], lent_on=data["lent_on"], due_on=data["due_on"], by=request.user, **form.inhabitant()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"« {loan.item} » prêté à {loan.name}, à rendre le {loan.due_on:%d/%m/%Y}.")
            return redirect("concierge:loan_list")
    return render(request, "concierge/loan_form.html", {"form": form, "has_items": items.exists()})


@require(perms.can_view_concierge)
@require_POST
def loan_return(request, pk):
    loan = get_object_or_404(_loans(request), pk=pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.return_item(
                loan=loan,
                returned_on=form.cleaned_data["returned_on"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Retour de « {loan.item} » enregistré : il peut être prêté à nouveau.")
    else:
        messages.error(request, form_errors(form))
    return redirect("concierge:loan_list")


urlpatterns = [
    path("objets/", item_list, name="item_list"),
    path("objets/nouveau/", item_create, name="item_create"),
    path("objets/<int:pk>/", item_update, name="item_update"),
    path("prets/", loan_list, name="loan_list"),
    path("prets/nouveau/", loan_create, name="loan_create"),
    path("prets/<int:pk>/retour/", loan_return, name="loan_return"),
]
