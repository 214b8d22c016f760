from django.conf import settings

from proxima.accounts import perms


def organisation(request):
    """The user's organisation, whether its data is synthetic, and what the menu may show."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"organisation": None, "is_demo_data": False, "can": {}, "map_tiles": _map_tiles()}
    org = user.organisation
    return {
        "organisation": org,
        "is_demo_data": org.is_demo,
        "map_tiles": _map_tiles(),
        "can": {
            "view_stock": perms.can_view_stock(user, org),
            "view_households": perms.can_view_households(user, org),
            "import": perms.can_import(user, org),
            "view_audit_log": perms.can_view_audit_log(user, org),
            "manage_users": perms.can_manage_users(user, org),
            "manage_surveys": perms.can_manage_surveys(user, org),
            "view_surveys": perms.can_view_surveys(user, org),
            "collect_answers": perms.can_collect_answers(user, org),
            "view_needs": perms.can_view_needs(user, org),
            "view_outreach": perms.can_view_outreach(user, org),
            "view_agency": perms.can_view_agency(user, org),
            "plan_tours": perms.can_plan_tours(user, org),
            "manage_appointments": perms.can_manage_appointments(user, org),
            "log_visits": perms.can_log_visits(user, org),
            "view_offer": perms.can_view_offer(user, org),
            "view_programme": perms.can_view_programme(user, org),
            "view_own_contacts": perms.can_view_own_contacts(user, org),
            "view_programme_alerts": perms.can_view_programme_alerts(user, org),
            "view_funding": perms.can_view_funding(user, org),
            "manage_funding": perms.can_manage_funding(user, org),
            "view_concierge": perms.can_view_concierge(user, org),
            "manage_concierge": perms.can_manage_concierge(user, org),
            "view_billing": perms.can_view_billing(user, org),
            "view_referrals": perms.can_view_referrals(user, org),
            "answer_referrals": perms.can_answer_referrals(user, org),
            "view_gaps": perms.can_view_gaps(user, org),
        },
    }


def _map_tiles() -> dict:
    """The tile server every map uses (PROXIMA_TILE_URL), and its attribution."""
    return {"url": settings.PROXIMA_TILE_URL, "attribution": settings.PROXIMA_TILE_ATTRIBUTION}
