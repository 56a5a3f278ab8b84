"""Small pieces every list and action view shares."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect


def paginate(request, rows, per_page=None):
    """(page of `rows` chosen by ?page=, the request's other query parameters encoded) — the second goes into
    the pager's links so paging keeps the filters."""
    page = Paginator(rows, per_page or settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def fail_back(request, exc, back):
    """A refused action (a service's ValidationError or PermissionDenied): flash its Chinese message, go back."""
    messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc)]))
    return redirect(back)
