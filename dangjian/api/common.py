"""Helpers every router uses: scope checks, pagination, references in bodies."""

from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core import scoping

from .schemas import MAX_ID


def require_party_scope(request):
    """Lists of party data need an organisation role, exactly as the pages do (admins and members: 403)."""
    if not scoping.has_party_scope(request.user):
        raise PermissionDenied("您没有查看此类数据的权限")


def require_write_scope(request):
    from dangjian.orgs.models import WRITE_ROLES

    if not scoping.scope_paths(request.user, WRITE_ROLES):
        raise PermissionDenied("您没有新增此类数据的权限")


def get_object(request, queryset, pk, *, write=False, org_attr="org"):
    """The UI's detail fetch: 404 outside the scope (audited), 403 in scope without the write right."""
    if not 1 <= pk <= MAX_ID:
        scoping.deny(request, queryset.model._meta.label_lower, pk)
    return scoping.get_for_user(request, queryset, pk, write=write, org_attr=org_attr)


def get_scoped(request, queryset, pk, *, org_path_field="org__path", write=False, org_attr="org"):
    """Like `get_object` for models without `visible_to` (scoped by their organisation's path)."""
    obj = queryset.filter(scoping.scope_q(request.user, org_path_field), pk=pk).first() if 1 <= pk <= MAX_ID else None
    if obj is None:
        scoping.deny(request, queryset.model._meta.label_lower, pk)
    if write and not scoping.can_write(request.user, getattr(obj, org_attr)):
        scoping.deny(request, queryset.model._meta.label_lower, pk, forbidden=True)
    return obj


def ref(request, queryset, pk, field, *, write=False, org_attr=None):
    """An object named by id in a request body: unknown or outside the scope → 422 on that field
    (the same words either way); visible but not writable → 403."""
    if pk is None:
        return None
    obj = queryset.visible_to(request.user).filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: "不存在或无权访问。"})
    if write:
        org = obj if org_attr is None else getattr(obj, org_attr)
        if not scoping.can_write(request.user, org):
            scoping.deny(request, queryset.model._meta.label_lower, pk, forbidden=True)
    return obj


def page(queryset, paging, serialize, *, extra=None):
    """{count, limit, offset, items}: two queries (count and the slice) plus what `serialize` needs."""
    if isinstance(queryset, list):
        count = len(queryset)
        rows = queryset[paging.offset:paging.offset + paging.limit]
    else:
        count = queryset.count()
        rows = list(queryset[paging.offset:paging.offset + paging.limit])
    items = serialize(rows) if callable(serialize) else rows
    return {"count": count, "limit": paging.limit, "offset": paging.offset, "items": items, **(extra or {})}


def ref_dict(obj):
    return {"id": obj.pk, "name": obj.name} if obj is not None else None
