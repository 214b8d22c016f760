def organisation(request):
    """Expose the user's organisation, and whether its data is synthetic, to every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"organisation": None, "is_demo_data": False}
    return {"organisation": user.organisation, "is_demo_data": user.organisation.is_demo}
