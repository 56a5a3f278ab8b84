# Placeholder: roster import/export views are being written (replaced in this change).
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


export_roster = import_start = import_template = import_job = import_errors = _todo
