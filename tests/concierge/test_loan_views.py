"""Inventory and loan pages: lending only what is in, overdue loans, returns, exports."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from proxima.accounts.enums import AuditAction, Role
from proxima.accounts.models import AuditEvent
from proxima.concierge.models import Item, Loan
from tests.accounts.factories import UserFactory
from tests.concierge.factories import ItemFactory, LoanFactory, in_days

pytestmark = pytest.mark.django_db

LOANS = reverse("concierge:loan_list")


@pytest.fixture
def logged(client, staff):
    client.force_login(staff)
    return client


class TestInventory:
    def test_shows_what_is_out(self, logged, landlord):
        """The inventory says which items are out and until when, and offers to lend the others."""
        lent = LoanFactory(item__organisation=landlord, item__name="Ponceuse", due_on=in_days(4))
        free = ItemFactory(organisation=landlord, name="Escabeau")
        content = logged.get(reverse("concierge:item_list")).content.decode()
        assert f"prêté jusqu'au {lent.due_on:%d/%m/%Y}" in content
        assert f"{reverse('concierge:loan_create')}?objet={free.pk}" in content

    def test_constant_queries(self, logged, landlord, django_assert_num_queries):
        """Whether each item is out comes with the page's rows: no query per item."""
        LoanFactory(item__organisation=landlord)
        # session, user, count, page rows with their loan state
        with django_assert_num_queries(4):
            logged.get(reverse("concierge:item_list"))
        for _ in range(5):
            LoanFactory(item__organisation=landlord)
            ItemFactory(organisation=landlord)
        with django_assert_num_queries(4):
            response = logged.get(reverse("concierge:item_list"))
        assert len(response.context["page"]) == 11

    def test_add_item(self, logged, landlord):
        response = logged.post(
            reverse("concierge:item_create"),
            {"reference": "JEU-01", "name": "Jeu de l'oie", "kind": "toy", "loan_days": 14, "is_active": "on"},
        )
        assert response.status_code == 302
        assert Item.objects.get().organisation == landlord

    def test_duplicate_reference(self, logged, landlord):
        """Two items cannot share an inventory number: said next to the form."""
        ItemFactory(organisation=landlord, reference="JEU-01")
        response = logged.post(
            reverse("concierge:item_create"), {"reference": "JEU-01", "name": "Dames", "kind": "toy", "loan_days": 14}
        )
        assert "Un autre objet porte déjà ce numéro d&#x27;inventaire." in response.content.decode()

    def test_field_agent_cannot_manage_the_inventory(self, client, landlord):
        client.force_login(UserFactory(organisation=landlord, role=Role.FIELD_AGENT))
        assert client.get(reverse("concierge:item_create")).status_code == 403
        assert client.get(reverse("concierge:item_list")).status_code == 200


class TestLend:
    def test_only_items_that_are_in(self, logged, landlord):
        """An item out is not offered; lending one records the loan with its return date."""
        out = LoanFactory(item__organisation=landlord, item__name="Ponceuse").item
        free = ItemFactory(organisation=landlord, name="Escabeau", loan_days=3)
        page = logged.get(reverse("concierge:loan_create"))
        assert list(page.context["form"].fields["item"].queryset) == [free]
        assert out.name not in page.content.decode()
        response = logged.post(
            reverse("concierge:loan_create"),
            {"item": free.pk, "name": "M. Petit", "phone": "0612345678", "lent_on": timezone.localdate().isoformat()},
            follow=True,
        )
        loan = Loan.objects.get(item=free)
        assert f"à rendre le {loan.due_on:%d/%m/%Y}" in response.content.decode()

    def test_nothing_to_lend(self, logged, landlord):
        LoanFactory(item__organisation=landlord)
        assert "Aucun objet n'est disponible" in logged.get(reverse("concierge:loan_create")).content.decode()

    def test_return_date_before_loan(self, logged, landlord):
        item = ItemFactory(organisation=landlord)
        response = logged.post(
            reverse("concierge:loan_create"),
            {
                "item": item.pk,
                "name": "X",
                "phone": "0612345678",
                "lent_on": in_days(0).isoformat(),
                "due_on": in_days(-1).isoformat(),
            },
        )
        assert "ne peut pas précéder la date du prêt" in response.content.decode()


class TestLoanList:
    def test_overdue_first_and_filter(self, logged, landlord):
        """Loans out by return date, the overdue flagged; the filter keeps only the overdue."""
        late = LoanFactory(item__organisation=landlord, overdue=True, name="Jean Retard")
        LoanFactory(item__organisation=landlord, name="Anne Alheure")
        response = logged.get(LOANS)
        assert [row["loan"].name for row in response.context["rows"]] == ["Jean Retard", "Anne Alheure"]
        assert "1 prêt en retard" in response.content.decode()
        assert [row["loan"] for row in logged.get(LOANS, {"state": "overdue"}).context["rows"]] == [late]

    def test_return(self, logged, landlord):
        loan = LoanFactory(item__organisation=landlord)
        response = logged.post(
            reverse("concierge:loan_return", args=[loan.pk]),
            {"returned_on": timezone.localdate().isoformat(), "note": "Complet"},
            follow=True,
        )
        loan.refresh_from_db()
        assert (loan.returned_on, loan.return_note) == (timezone.localdate(), "Complet")
        assert "peut être prêté à nouveau" in response.content.decode()
        assert [row["loan"] for row in logged.get(LOANS, {"state": "returned"}).context["rows"]] == [loan]

    def test_constant_queries(self, logged, landlord, django_assert_num_queries):
        LoanFactory(item__organisation=landlord)
        # session, user, count, page rows, overdue count, audit event
        with django_assert_num_queries(6):
            logged.get(LOANS)
        for _ in range(5):
            LoanFactory(item__organisation=landlord)
        with django_assert_num_queries(6):
            logged.get(LOANS)

    def test_export_is_audited(self, logged, landlord):
        LoanFactory(item__organisation=landlord, item__name="Ponceuse", overdue=True)
        response = logged.get(LOANS, {"format": "csv"})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
        assert rows[1][0] == "Ponceuse" and rows[1][rows[0].index("en retard")] == "oui"
        assert AuditEvent.objects.filter(action=AuditAction.EXPORT, target_type="concierge.Loan").exists()

    def test_other_landlord_loan_is_404(self, logged, other_landlord):
        loan = LoanFactory(item__organisation=other_landlord)
        assert logged.post(reverse("concierge:loan_return", args=[loan.pk])).status_code == 404
