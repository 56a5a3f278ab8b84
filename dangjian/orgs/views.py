from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


tree = org_create = org_detail = org_edit = org_move = org_upgrade = org_dissolve = post_add = post_end = _todo
