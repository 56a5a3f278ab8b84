from django.conf import settings

from dangjian.core import audit


class NoStoreMiddleware:
    """Pages carry personal data: never cached by browsers or proxies; a strict Content-Security-Policy
    (no inline or foreign scripts). Also binds the request for the audit trail (IP) so service
    functions need not pass it around."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.set_request(request)
        try:
            response = self.get_response(request)
        finally:
            audit.reset_request(token)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
