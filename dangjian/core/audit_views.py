# Placeholder: audit trail views are being written (replaced in this change).
from django.http import Http404


def audit_list(request):
    raise Http404
