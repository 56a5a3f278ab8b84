# Placeholder: security administrator views are being written (replaced in this change).
from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


user_list = user_create = user_detail = _todo
