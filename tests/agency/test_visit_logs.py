"""The visit log services: households met mirrored in their interaction history, and the plan's summary."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from proxima.accounts.enums import Role
from proxima.agency import visit_logs
from proxima.agency.enums import FollowUp, VisitTopic
from proxima.agency.models import VisitContact, VisitLog
from proxima.agency.visit_logs import ContactEntry, interaction_theme, save_visit_log, visit_summary
from proxima.households.enums import InteractionChannel
from proxima.households.models import Interaction
from tests.accounts.factories import UserFactory
from tests.agency.factories import StopFactory, TourDayFactory, VisitFactory
from tests.agency.factories_visits import published_tour
from tests.households.factories import HouseholdFactory

T, A, R, ACT = VisitTopic.TECHNICAL, VisitTopic.ADMINISTRATIVE, VisitTopic.RIGHTS, VisitTopic.ACTIVITY


@pytest.fixture
def tour(landlord):
    return published_tour(landlord)


def interactions(household):
    return list(Interaction.objects.filter(household=household))


class TestInteractionTheme:
    @pytest.mark.parametrize(
        ("topics", "theme"),
        [
            ([], ""),
            ([R, T], "technique, droits"),
            ([T, R, ACT], "technique, droits, activité"),
            ([T, A, R], "tech., admin., droits"),
            ([T, A, R, ACT], "tech., admin., droits, activ."),
        ],
    )
    def test_words_in_topic_order_and_fit_the_column(self, topics, theme):
        """Topics read in a fixed order; four of them are abbreviated to fit the 30 characters of the column."""
        assert interaction_theme(topics) == theme
        assert len(theme) <= 30

    def test_unknown_topic(self):
        """A topic outside VisitTopic is refused."""
        with pytest.raises(ValidationError):
            interaction_theme(["cooking"])


@pytest.mark.django_db
class TestSaveVisitLog:
    def test_creates_one_interaction_per_household_met(self, tour):
        """Each household met gets an "agence mobile" contact dated at the visit's opening, with topics and outcome."""
        log = save_visit_log(
            visit=tour.visit,
            by=tour.staff,
            contacts=[
                ContactEntry(tour.a1, topics=(R, T), follow_up=FollowUp.REQUEST),
                ContactEntry(tour.b1, topics=(ACT,)),
            ],
            anonymous_count=4,
            anonymous_topics=[ACT, T],
            note="  Beaucoup de monde au marché.  ",
        )
        assert (log.anonymous_count, log.anonymous_topics, log.note) == (4, [T, ACT], "Beaucoup de monde au marché.")
        assert log.recorded_by == tour.staff
        [a1] = interactions(tour.a1)
        assert a1.channel == InteractionChannel.MOBILE_AGENCY
        assert a1.source == "agence mobile"
        assert a1.theme == "technique, droits"
        assert a1.outcome == "demande enregistrée"
        assert a1.recorded_by == tour.staff
        assert a1.organisation_id == tour.a1.organisation_id
        assert timezone.localtime(a1.occurred_at).replace(tzinfo=None) == dt.datetime.combine(
            tour.plan.start_date, dt.time(9, 30)
        )
        assert "Beaucoup de monde" not in a1.note  # the visit's note is about the visit, not this household
        [b1] = interactions(tour.b1)
        assert (b1.theme, b1.outcome) == ("activité", "aucune suite")
        contact = VisitContact.objects.get(household=tour.a1)
        assert (contact.topics, contact.follow_up, contact.interaction) == ([T, R], FollowUp.REQUEST, a1)

    def test_saving_twice_is_idempotent(self, tour):
        """The same log saved again adds no contact and rewrites nothing."""
        kwargs = {
            "visit": tour.visit,
            "by": tour.staff,
            "contacts": [ContactEntry(tour.a1, topics=(A,), follow_up=FollowUp.REFERRAL)],
            "anonymous_count": 2,
        }
        save_visit_log(**kwargs)
        first = Interaction.objects.get()
        save_visit_log(**{**kwargs, "by": UserFactory(organisation=tour.plan.organisation, role=Role.STAFF)})
        again = Interaction.objects.get()
        assert again.pk == first.pk
        assert again.recorded_by == tour.staff  # nothing changed: still the first author
        assert VisitLog.objects.get().recorded_by == tour.staff
        assert VisitContact.objects.count() == 1

    def test_editing_updates_and_removing_deletes(self, tour):
        """A changed contact updates its interaction; a household taken off the log loses its interaction."""
        save_visit_log(
            visit=tour.visit,
            by=tour.staff,
            contacts=[ContactEntry(tour.a1, topics=(A,)), ContactEntry(tour.a2, topics=(T,))],
        )
        a1_before = Interaction.objects.get(household=tour.a1)
        other = UserFactory(organisation=tour.plan.organisation, role=Role.STAFF)
        save_visit_log(
            visit=tour.visit, by=other, contacts=[ContactEntry(tour.a1, topics=(A, R), follow_up=FollowUp.REFERRAL)]
        )
        a1 = Interaction.objects.get(household=tour.a1)
        assert a1.pk == a1_before.pk
        assert (a1.theme, a1.outcome, a1.recorded_by) == (
            "administratif, droits",
            "orientation vers un partenaire",
            other,
        )
        assert interactions(tour.a2) == []
        assert list(VisitContact.objects.values_list("household", flat=True)) == [tour.a1.pk]
        assert VisitLog.objects.get().recorded_by == other  # the log names its last author

    def test_recreates_an_interaction_deleted_elsewhere(self, tour):
        """A contact whose interaction was deleted gets a new one on the next save."""
        save_visit_log(visit=tour.visit, by=tour.staff, contacts=[ContactEntry(tour.a1, topics=(A,))])
        Interaction.objects.all().delete()
        save_visit_log(visit=tour.visit, by=tour.staff, contacts=[ContactEntry(tour.a1, topics=(A,))])
        assert VisitContact.objects.get().interaction == Interaction.objects.get(household=tour.a1)

    def test_all_or_nothing(self, tour, monkeypatch):
        """A failure midway leaves the log and the history as they were."""
        save_visit_log(visit=tour.visit, by=tour.staff, contacts=[ContactEntry(tour.a1, topics=(A,))])
        real_write, calls = visit_logs._write_contact, []

        def write_then_fail(*args):
            calls.append(args)
            if len(calls) == 2:
                raise RuntimeError("database went away")
            return real_write(*args)

        monkeypatch.setattr(visit_logs, "_write_contact", write_then_fail)
        with pytest.raises(RuntimeError):
            save_visit_log(
                visit=tour.visit,
                by=tour.staff,
                contacts=[ContactEntry(tour.a2, topics=(T,)), ContactEntry(tour.b1, topics=(T,))],
                anonymous_count=9,
            )
        assert VisitLog.objects.get().anonymous_count == 0
        assert list(Interaction.objects.values_list("household", flat=True)) == [tour.a1.pk]
        assert list(VisitContact.objects.values_list("household", flat=True)) == [tour.a1.pk]

    def test_unknown_follow_up(self, tour):
        with pytest.raises(ValidationError, match="Suite inconnue"):
            save_visit_log(visit=tour.visit, by=tour.staff, contacts=[ContactEntry(tour.a1, follow_up="phone_call")])

    def test_field_agent_names_only_their_sites_households(self, tour):
        """A field agent logs the visit, but naming a household of a site not entrusted to them is refused."""
        with pytest.raises(PermissionDenied):
            save_visit_log(visit=tour.visit, by=tour.agent, contacts=[ContactEntry(tour.b1, topics=(T,))])
        assert not VisitLog.objects.exists()
        save_visit_log(visit=tour.visit, by=tour.agent, contacts=[ContactEntry(tour.a1, topics=(T,))])
        assert interactions(tour.a1)[0].recorded_by == tour.agent

    def test_field_agent_edit_keeps_households_they_cannot_see(self, tour):
        """A colleague's contact with a household the agent cannot see survives the agent's edit."""
        save_visit_log(
            visit=tour.visit,
            by=tour.staff,
            contacts=[ContactEntry(tour.a1, topics=(A,)), ContactEntry(tour.b1, topics=(T,))],
        )
        save_visit_log(visit=tour.visit, by=tour.agent, contacts=[], anonymous_count=1)
        assert interactions(tour.a1) == []
        assert len(interactions(tour.b1)) == 1
        assert list(VisitContact.objects.values_list("household", flat=True)) == [tour.b1.pk]

    def test_other_organisation(self, tour, other_landlord):
        """Another landlord's household cannot be named, and another landlord's user cannot log our visit."""
        theirs = HouseholdFactory(dwelling__building__site__organisation=other_landlord)
        with pytest.raises(PermissionDenied):
            save_visit_log(visit=tour.visit, by=tour.staff, contacts=[ContactEntry(theirs)])
        outsider = UserFactory(organisation=other_landlord, role=Role.ADMIN)
        with pytest.raises(PermissionDenied):
            save_visit_log(visit=tour.visit, by=outsider, contacts=[])
        assert not Interaction.objects.exists()

    def test_read_only_cannot_log(self, tour):
        """Read-only users read figures, they do not meet residents."""
        reader = UserFactory(organisation=tour.plan.organisation, role=Role.READ_ONLY)
        with pytest.raises(PermissionDenied):
            save_visit_log(visit=tour.visit, by=reader, contacts=[])

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"anonymous_count": -1}, "négatif"),
            ({"anonymous_topics": [T]}, "personne n'est compté"),
            ({"anonymous_count": 1, "anonymous_topics": ["cooking"]}, "Sujet inconnu"),
        ],
    )
    def test_invalid_anonymous_welcome(self, tour, kwargs, message):
        """Counts are positive, and topics need someone to have raised them."""
        with pytest.raises(ValidationError, match=message):
            save_visit_log(visit=tour.visit, by=tour.staff, contacts=[], **kwargs)

    def test_household_named_twice(self, tour):
        with pytest.raises(ValidationError, match="deux fois"):
            save_visit_log(visit=tour.visit, by=tour.staff, contacts=[ContactEntry(tour.a1), ContactEntry(tour.a1)])

    def test_future_visit(self, landlord):
        """A visit still to come has no log yet."""
        tour = published_tour(landlord, days_ago=-1)
        with pytest.raises(ValidationError, match="pas encore eu lieu"):
            save_visit_log(visit=tour.visit, by=tour.staff, contacts=[])
        save_visit_log(visit=tour.visit, by=tour.staff, contacts=[], today=tour.plan.start_date)

    def test_unpublished_plan(self, tour):
        tour.plan.published_at = None
        tour.plan.save()
        with pytest.raises(ValidationError, match="publiée"):
            save_visit_log(visit=tour.visit, by=tour.staff, contacts=[])


@pytest.mark.django_db
class TestVisitSummary:
    def test_hand_checked_figures(self, tour, django_assert_num_queries):
        """Two visits of stop A (one logged twice-met household), one unlogged visit of stop B: counts by hand."""
        org = tour.plan.organisation
        second_day = TourDayFactory(plan=tour.plan, date=tour.plan.start_date + dt.timedelta(days=1))
        second = VisitFactory(day=second_day, stop=tour.stop, position=0)
        stop_b = StopFactory(organisation=org, name="Aaa place du marché")
        VisitFactory(day=second_day, stop=stop_b, position=1, start=dt.time(14), end=dt.time(16))
        save_visit_log(
            visit=tour.visit,
            by=tour.staff,
            contacts=[
                ContactEntry(tour.a1, topics=(T, A), follow_up=FollowUp.REQUEST),
                ContactEntry(tour.a2, topics=(A,)),
            ],
            anonymous_count=3,
            anonymous_topics=[ACT],
        )
        save_visit_log(
            visit=second,
            by=tour.staff,
            contacts=[ContactEntry(tour.a1, topics=(R,), follow_up=FollowUp.REFERRAL)],
            anonymous_count=2,
            anonymous_topics=[ACT, R],
        )
        with django_assert_num_queries(3):
            summary = visit_summary(tour.plan)
        assert summary.plan_id == tour.plan.pk
        total = summary.total
        assert (total.visits, total.logged_visits, total.contacts, total.households_met, total.anonymous) == (
            3,
            2,
            3,
            2,
            5,
        )
        assert total.people_met == 8
        assert total.topics == {T: 1, A: 2, R: 1, ACT: 0}
        assert total.anonymous_topics == {T: 0, A: 0, R: 1, ACT: 2}
        assert total.follow_ups == {FollowUp.NONE: 1, FollowUp.REQUEST: 1, FollowUp.REFERRAL: 1}
        assert [s.stop_name for s in summary.stops] == ["Aaa place du marché", tour.stop.name]
        unlogged, logged = summary.stops
        assert (unlogged.figures.visits, unlogged.figures.logged_visits, unlogged.figures.people_met) == (1, 0, 0)
        assert logged.figures.households_met == 2
        assert logged.figures.contacts == 3
        assert logged.commune == tour.stop.commune.name

    def test_empty_plan(self, tour):
        """A plan without logs counts its visits and nothing else."""
        summary = visit_summary(tour.plan)
        assert (summary.total.visits, summary.total.people_met) == (1, 0)
        assert set(summary.total.topics.values()) == {0}
