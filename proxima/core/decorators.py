from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def require(predicate):
    """Let a view run only for a logged-in user for whom ``predicate(user, user.organisation)`` holds.

    Anonymous users are sent to the login page; a logged-in user without the right gets a 403.
    Objects are then loaded through ``for_organisation(request.user.organisation)``, so another
    organisation's object is a 404.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not predicate(request.user, request.user.organisation):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.permission_predicate = predicate
        return wrapper

    return decorator
