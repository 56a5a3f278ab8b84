# Placeholder: being written in this change.
from django.http import Http404


def index(request):
    raise Http404
