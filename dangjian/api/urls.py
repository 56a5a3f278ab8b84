from django.shortcuts import redirect
from django.urls import path, re_path

from .errors import not_found_view
from .main import api


def root(request):
    """/api/ → the documentation page."""
    return redirect("api:openapi-view")


patterns, _app_name, _namespace = api.urls
app_name = "api"
urlpatterns = [
    *[p for p in patterns if getattr(p, "name", None) != "api-root"],
    path("", root, name="api-root"),
    re_path(r"^.*$", not_found_view),
]
