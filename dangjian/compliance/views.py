# Placeholder: rulebook views are being written (replaced in this change).
from django.http import Http404


def rules(request):
    raise Http404
