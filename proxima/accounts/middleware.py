from proxima.accounts import audit


class AuditContextMiddleware:
    """Attribute the writes made while serving a request to its user and page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user if request.user.is_authenticated else None
        with audit.acting_as(user, f"{request.method} {request.path}"):
            return self.get_response(request)
