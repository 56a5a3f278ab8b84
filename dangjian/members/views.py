from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404


roster = person_create = person_detail = person_edit = person_status = person_move = person_unmask = _todo
