from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from proxima.accounts import perms


@login_required
def home(request):
    """Landlord staff land on their dashboard; other organisations on their account page."""
    if perms.can_view_stock(request.user, request.user.organisation):
        return redirect("territory:dashboard")
    return render(request, "core/home.html")
