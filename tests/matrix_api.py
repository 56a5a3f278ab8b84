"""Permission-matrix entries for the token screen and for the /api/ URLs Django's resolver sees.

Every API operation appears to Django as a URL name (api:<operation id>). With the session client of
tests/test_permission_matrix.py each must answer 401 to every role: the API never accepts a session,
only a personal token. What a *token* may do per role is tests/test_api_permissions.py.
"""

from django.urls import URLPattern, get_resolver

from tests.test_permission_matrix import ALL, Route

# --- matrix entries -------------------------------------------------------------------


def _api_patterns():
    for resolver in get_resolver().url_patterns:
        if getattr(resolver, "namespace", None) == "api":
            return [p for p in resolver.url_patterns if isinstance(p, URLPattern) and p.name]
    return []


def _any_ids(pattern):
    names = list(pattern.pattern.converters) or [
        part[1:-1].split(":")[-1] for part in str(pattern.pattern).split("/") if part.startswith("<")]
    return (lambda ctx, scope: {name: 1 for name in names}) if names else None


def _methods():
    """operation id → HTTP method, from the OpenAPI document (several URL names can share one path)."""
    from dangjian.api.main import api

    return {op["operationId"]: method for ops in api.get_openapi_schema()["paths"].values()
            for method, op in ops.items()}


DOCS = {role: 200 for role in ALL} | {"anon": 302}
ROUTES = {
    "tokens:list": Route(expect={role: 200 for role in ALL} | {"anon": 302}),
    "tokens:create": Route(expect={role: 400 for role in ALL} | {"anon": 302}, method="post"),  # empty form
    # Revoking somebody else's token (and a missing one) is 404 for everybody.
    "tokens:revoke": Route(lambda ctx, scope: {"pk": ctx["foreign_token"].pk},
                           {role: (404, 404) for role in ALL} | {"anon": (302, 302)}, method="post"),
    "api:openapi-view": Route(expect=DOCS),
    "api:openapi-json": Route(expect=DOCS),
    "api:api-root": Route(expect={role: 302 for role in ALL}),
}
_METHODS = _methods()
for _pattern in _api_patterns():
    if f"api:{_pattern.name}" not in ROUTES:
        _kwargs = _any_ids(_pattern)
        ROUTES[f"api:{_pattern.name}"] = Route(_kwargs, {role: (401, 401) if _kwargs else 401 for role in ALL},
                                               method=_METHODS.get(_pattern.name, "get"))


def extend_ctx(ctx):
    from dangjian.api.services import token_create
    from tests.factories import make_user

    ctx["foreign_token"] = token_create(actor=None, user=make_user(), name="别人的令牌")[0]
