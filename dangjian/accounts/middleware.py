import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

SESSION_STARTED_KEY = "dangjian_login_at"


class SessionLimitsMiddleware:
    """Absolute session lifetime (12 h). The idle timeout is SESSION_COOKIE_AGE with
    SESSION_SAVE_EVERY_REQUEST, so each request pushes the expiry 30 minutes ahead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            if started is None:
                request.session[SESSION_STARTED_KEY] = time.time()
            elif time.time() - started > settings.SESSION_ABSOLUTE_LIMIT.total_seconds():
                logout(request)
                return redirect(f"{reverse('accounts:login')}?expired=1")
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Accounts created by an administrator must set their own password first."""

    ALLOWED = ("accounts:password_change", "accounts:logout", "core:healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.must_change_password and not request.path.startswith(settings.STATIC_URL):
            allowed = {reverse(name) for name in self.ALLOWED}
            if request.path not in allowed:
                return redirect("accounts:password_change")
        return self.get_response(request)
