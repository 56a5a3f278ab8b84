"""Bearer-token authentication for the API. Sessions are never accepted: a browser's cookie
gives no access to /api/ data (so the API needs no CSRF protection)."""

from ninja.security import HttpBearer

from . import services


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def __call__(self, request):
        # Whatever the session says, the API acts for the token's holder only.
        request.user = _anonymous()
        return super().__call__(request)

    def authenticate(self, request, token):
        user = services.authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def token_or_session(view):
    """For the documentation pages: a logged-in browser or a valid token may read them."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            if services.authenticate(header[7:].strip()) is not None:
                return view(request, *args, **kwargs)
            from .errors import on_auth_error

            return on_auth_error(request, None)
        return redirect_to_login(request.get_full_path())

    return wrapped

