"""Who may do what. Every view and API endpoint calls one of these predicates.

Data always belongs to one organisation: a predicate first checks that the user
belongs to it, then that their role allows the action. Querysets are scoped with
``for_organisation`` as well, so an object of another organisation is never even
loaded (404), and a role without the right gets a 403.
"""

from proxima.accounts.enums import OrganisationKind, Role

# Roles of a landlord's own people, who work with its housing stock.
LANDLORD_STAFF_ROLES = {Role.ADMIN, Role.STAFF, Role.FIELD_AGENT, Role.READ_ONLY}
# Roles that work with named households. Read-only users (managers, finance) see
# aggregates and the housing stock only: they have no need to read personal data (RGPD, art. 5.1.c).
HOUSEHOLD_ROLES = {Role.ADMIN, Role.STAFF, Role.FIELD_AGENT}


def _is_member(user, organisation) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and organisation is not None
        and user.organisation_id == organisation.pk
    )


def is_landlord_user(user) -> bool:
    """A landlord's staff: the people whose organisation owns sites and households."""
    return (
        user.is_authenticated
        and user.organisation.kind == OrganisationKind.LANDLORD
        and user.role in LANDLORD_STAFF_ROLES
    )


def can_view_stock(user, organisation) -> bool:
    """Sites, buildings, dwellings and aggregate figures: every role of the landlord."""
    return _is_member(user, organisation) and is_landlord_user(user)


def can_view_households(user, organisation) -> bool:
    """Named household records: the landlord's staff who act on them, not read-only users."""
    return _is_member(user, organisation) and is_landlord_user(user) and user.role in HOUSEHOLD_ROLES


def can_record_consent(user, organisation) -> bool:
    """Consents are collected by staff and field agents, on the phone, at the door or at the bus."""
    return can_view_households(user, organisation)


def can_import(user, organisation) -> bool:
    """Imports overwrite the housing stock and households: admins and the proximity team only."""
    return _is_member(user, organisation) and is_landlord_user(user) and user.role in {Role.ADMIN, Role.STAFF}


def can_view_audit_log(user, organisation) -> bool:
    """The audit trail names who read which household: the organisation's admins only."""
    return _is_member(user, organisation) and user.role == Role.ADMIN


def can_manage_users(user, organisation) -> bool:
    """Creating accounts and changing roles grants access to data: the organisation's admins only."""
    return _is_member(user, organisation) and user.role == Role.ADMIN


def can_manage_own_tokens(user) -> bool:
    """Any active user may create API tokens: a token carries exactly its owner's rights."""
    return user.is_authenticated and user.is_active


def can_manage_surveys(user, organisation) -> bool:
    """Writing, importing, opening and closing surveys, and printing letters: admins and the proximity team."""
    return _is_member(user, organisation) and is_landlord_user(user) and user.role in {Role.ADMIN, Role.STAFF}


def can_collect_answers(user, organisation) -> bool:
    """Entering answers for a household (phone, visit, paper, tablet): the staff who meet residents.

    Field agents collect only for the households of the sites entrusted to them
    (``Household.objects.visible_to``).
    """
    return can_view_households(user, organisation)


def can_view_needs(user, organisation) -> bool:
    """Needs by territory are aggregates with confidence intervals, no names: every landlord role but field agents,
    who work from their outreach list and whose sites alone would not make a representative picture."""
    return (
        _is_member(user, organisation)
        and is_landlord_user(user)
        and user.role in {Role.ADMIN, Role.STAFF, Role.READ_ONLY}
    )


def can_view_surveys(user, organisation) -> bool:
    """A survey's questions, targets and response counts name no household. Those who read the needs
    and those who put the questions to residents read them; writing stays with ``can_manage_surveys``."""
    return can_view_needs(user, organisation) or can_collect_answers(user, organisation)


def can_view_answers(user, organisation) -> bool:
    """One household's answers are personal data: the staff who act on them, never partners or read-only users.
    Field agents see only the answers of their sites' households."""
    return can_view_households(user, organisation)


def can_view_outreach(user, organisation) -> bool:
    """The outreach list names households to call or visit: staff and field agents (their own sites only)."""
    return can_view_households(user, organisation)


def can_manage_outreach(user, organisation) -> bool:
    """Outreach thresholds and which field agent covers which site: admins and the proximity team."""
    return can_manage_surveys(user, organisation)


def can_view_agency(user, organisation) -> bool:
    """Stops, tour plans and their coverage are counts, not names: every role of the landlord reads them."""
    return can_view_stock(user, organisation)


def can_plan_tours(user, organisation) -> bool:
    """Stops, weights and plans decide where the bus goes and whom it reaches: admins and the proximity team."""
    return can_manage_surveys(user, organisation)


def can_manage_appointments(user, organisation) -> bool:
    """Appointments name residents: the staff who welcome them at the bus, field agents included."""
    return can_view_households(user, organisation)


def can_log_visits(user, organisation) -> bool:
    """The visit log names the households met and feeds their interaction history: the staff who meet them."""
    return can_view_households(user, organisation)


def can_view_offer(user, organisation) -> bool:
    """The catalogue of services, the partners, their agreements and the bundles name no resident: every role of
    the landlord reads them (field agents orient residents with them; managers and finance follow agreements)."""
    return can_view_stock(user, organisation)


def can_manage_offer(user, organisation) -> bool:
    """Services, partners, agreements and bundles commit the landlord to partners and residents:
    admins and the proximity team."""
    return can_manage_surveys(user, organisation)


def is_volunteer(user) -> bool:
    """A partner's volunteer: a user of a partner organisation with the partner role."""
    return (
        user.is_authenticated
        and user.is_active
        and user.organisation.kind == OrganisationKind.PARTNER
        and user.role == Role.PARTNER
    )


def can_view_programme(user, organisation) -> bool:
    """The elderly outreach programme names the people it follows: the landlord's staff who act on households.
    Field agents see the people of their sites and those whose contacts are assigned to them."""
    return can_view_households(user, organisation)


def can_manage_programme(user, organisation) -> bool:
    """Programmes, enrolments, contact plans and their assignment (which grants a volunteer access to a person's
    contact details): admins and the proximity team."""
    return can_manage_surveys(user, organisation)


def can_view_own_contacts(user, organisation) -> bool:
    """ "Mes contacts à faire": the landlord's staff who call and visit, and the partners' volunteers, who see only
    the people assigned to them and only their name, phone, address and plan."""
    return _is_member(user, organisation) and (can_view_households(user, organisation) or is_volunteer(user))


def can_view_programme_alerts(user, organisation) -> bool:
    """Escalations of the programme: the landlord's staff (field agents for their people), and a partner
    organisation's users for the alerts escalated to it only."""
    return can_view_programme(user, organisation) or (
        _is_member(user, organisation)
        and organisation.kind == OrganisationKind.PARTNER
        and user.role in {Role.ADMIN, Role.PARTNER}
    )


def can_handle_programme_alerts(user, organisation) -> bool:
    """Acknowledging and resolving an alert says someone is acting on it: the referent's team (admins and the
    proximity team), and the partner organisation for the alerts escalated to it."""
    return can_manage_programme(user, organisation) or (
        _is_member(user, organisation)
        and organisation.kind == OrganisationKind.PARTNER
        and user.role in {Role.ADMIN, Role.PARTNER}
    )


def can_view_funding(user, organisation) -> bool:
    """Funding schemes, the organisation's projects, their matching and plans: every role of the landlord reads them
    (figures, no household); partners do not."""
    return can_view_stock(user, organisation)


def can_manage_funding(user, organisation) -> bool:
    """Projects, budgets, co-financing plans and applications commit the landlord's money: admins and staff."""
    return _is_member(user, organisation) and is_landlord_user(user) and user.role in {Role.ADMIN, Role.STAFF}


def can_view_concierge(user, organisation) -> bool:
    """The concierge's file names inhabitants, tenants or not: the staff who welcome them at the counter, on the
    phone or at the bus (admins, proximity team, field agents) read it and record requests, loans, appointments,
    registrations and attendance. Field agents link only the households of their own sites."""
    return can_view_households(user, organisation)


def can_manage_concierge(user, organisation) -> bool:
    """The inventory, the office hours, the activities and the concierge's public presentation decide what is
    offered to inhabitants: admins and the proximity team."""
    return can_manage_surveys(user, organisation)


def can_view_interaction_history(user, organisation) -> bool:
    """A household's whole interaction history, from every app: the staff who act on its record (field agents:
    their own sites' households only, through ``Household.objects.visible_to``)."""
    return can_view_households(user, organisation)


def can_view_billing(user, organisation) -> bool:
    """Services' billing modes, agreements and monthly totals name no household: managers and finance read them."""
    return can_view_needs(user, organisation)


def can_manage_billing(user, organisation) -> bool:
    """A billing mode, an amount or a run puts money on tenants' accounts: admins and the proximity team."""
    return can_manage_surveys(user, organisation)


def can_view_charge_lines(user, organisation) -> bool:
    """Charge lines and a household's annual statement name households by lease: admins and the proximity team,
    not field agents (whose sites alone would give a partial account) nor read-only users."""
    return can_manage_billing(user, organisation)


def can_refer(user, organisation) -> bool:
    """Orienting a resident passes their name and contact to a partner, with their consent: the staff who meet
    residents and collect that consent (field agents included, for the households of their sites)."""
    return can_view_households(user, organisation)


def can_view_referrals(user, organisation) -> bool:
    """Referrals name the people oriented: the staff who orient them, not read-only users (RGPD, art. 5.1.c)."""
    return can_view_households(user, organisation)


def can_manage_referral_settings(user, organisation) -> bool:
    """How long partners have to answer is agreed with them: admins and the proximity team."""
    return can_manage_surveys(user, organisation)


def can_answer_referrals(user, organisation) -> bool:
    """A partner's users see the referrals addressed to their organisation, and only them, with what they need
    to act (name, contact, service, need); they accept, refuse and close them. Landlords' staff never do this
    through this right: they record a partner's answer through ``can_refer``."""
    return (
        _is_member(user, organisation)
        and organisation.kind == OrganisationKind.PARTNER
        and user.role in {Role.PARTNER, Role.ADMIN}
    )


def can_view_gaps(user, organisation) -> bool:
    """Needs versus offer are counts per territory, no names: those who read the needs. The households behind a
    count are listed only for those who may see households (``can_view_households``)."""
    return can_view_needs(user, organisation)


def can_act_on_referrals(user, organisation) -> bool:
    """Either side changes a referral's status: the partner's users answer it, the landlord's staff withdraw it or
    record an answer a partner gave on the phone. Which referrals each may touch is decided by the queryset."""
    return can_refer(user, organisation) or can_answer_referrals(user, organisation)


def can_view_gap_households(user, organisation) -> bool:
    """The households behind a gap are named households: those who read the gaps and may see households."""
    return can_view_gaps(user, organisation) and can_view_households(user, organisation)
