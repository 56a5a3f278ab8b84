"""Writes to the organisation tree. Each keeps history (OrgEvent) and the audit row
in the same transaction as the change."""

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core import audit, scoping

from .models import ALLOWED_CHILDREN, UPGRADES, CommitteePost, Organisation, OrgEvent, OrgKind


def _require_write(actor, org):
    if actor is not None and not scoping.can_write(actor, org):
        raise ValidationError("您无权修改该组织。")


def _event(org, kind, actor, effective_on, before, after, note=""):
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": "说明不能超过200字。"})
    OrgEvent.objects.create(org=org, kind=kind, actor=actor if actor and actor.is_authenticated else None,
                            effective_on=effective_on, before=before, after=after, note=note)
    event = audit.Event.CREATE if kind == OrgEvent.Kind.CREATE else audit.Event.UPDATE
    audit.record(actor=actor, event=event, obj=org, changes={"action": OrgEvent.Kind(kind).label,
                                                             "before": before, "after": after})


def _check_child_kind(parent, kind):
    if parent is None:
        if kind != OrgKind.WORK_COMMITTEE:
            raise ValidationError({"kind": "顶层组织只能是教育工委。"})
        return
    if parent.is_dissolved:
        raise ValidationError({"parent": "上级组织已撤销，不能在其下设立组织。"})
    if kind not in ALLOWED_CHILDREN[OrgKind(parent.kind)]:
        raise ValidationError({"kind": f"{parent.get_kind_display()}下不能设立{OrgKind(kind).label}。"})


@transaction.atomic
def org_create(*, actor, parent, name, kind, founded_on, unit_name="", code=""):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写组织名称。"})
    _check_child_kind(parent, kind)
    if parent is not None:
        _require_write(actor, parent)
        if founded_on < parent.founded_on:
            raise ValidationError({"founded_on": "成立日期不能早于上级组织的成立日期。"})
    fields = dict(name=name, kind=kind, founded_on=founded_on, unit_name=(unit_name or "").strip(),
                  code=(code or "").strip())
    probe = Organisation(**fields)
    probe.full_clean(exclude=["path", "depth", "numchild"])
    if parent is None:
        org = Organisation.objects.add_root(fields)
    else:
        org = Organisation.objects.add_child(parent, fields)
    _event(org, OrgEvent.Kind.CREATE, actor, founded_on, {}, org.snapshot())
    return org


@transaction.atomic
def org_update(*, actor, org, effective_on, name=None, unit_name=None, code=None, founded_on=None, note=""):
    _require_write(actor, org)
    org = Organisation.objects.select_for_update().get(pk=org.pk)
    before = org.snapshot()
    changed = []
    if name is not None and name.strip() != org.name:
        if not name.strip():
            raise ValidationError({"name": "请填写组织名称。"})
        org.name = name.strip()
        changed.append("name")
    for field, value in (("unit_name", unit_name), ("code", code)):
        if value is not None and value.strip() != getattr(org, field):
            setattr(org, field, value.strip())
            changed.append(field)
    if founded_on is not None and founded_on != org.founded_on:
        org.founded_on = founded_on
        changed.append("founded_on")
    if not changed:
        return org
    org.full_clean(exclude=["path", "depth", "numchild"])
    org.save(update_fields=changed)
    kind = OrgEvent.Kind.RENAME if changed == ["name"] else OrgEvent.Kind.UPDATE
    _event(org, kind, actor, effective_on, before, org.snapshot(), note)
    return org


@transaction.atomic
def org_move(*, actor, org, new_parent, effective_on, note=""):
    """Move a subtree under another parent (people and roles move with it: they hang on the nodes)."""
    _require_write(actor, org)
    _require_write(actor, new_parent)
    if new_parent.path.startswith(org.path):
        raise ValidationError({"parent": "不能移动到本组织或其下级组织之下。"})
    _check_child_kind(new_parent, org.kind)
    if org.is_dissolved:
        raise ValidationError("已撤销的组织不能调整隶属关系。")
    old_parent = Organisation.objects.get_parent(org)
    if old_parent is not None and old_parent.pk == new_parent.pk:
        raise ValidationError({"parent": "新上级与原上级相同。"})
    before = {**org.snapshot(), "parent": old_parent.name if old_parent else None}
    Organisation.objects.move(org, new_parent, pos="last-child")
    org = Organisation.objects.get(pk=org.pk)
    after = {**org.snapshot(), "parent": new_parent.name}
    _event(org, OrgEvent.Kind.MOVE, actor, effective_on, before, after, note)
    return org


@transaction.atomic
def org_upgrade(*, actor, org, effective_on, new_name=None, note=""):
    """支部 → 总支 → 党委, keeping the node, its history and its subtree."""
    _require_write(actor, org)
    target = UPGRADES.get(OrgKind(org.kind))
    if target is None:
        raise ValidationError(f"{org.get_kind_display()}不能升格。")
    if org.is_dissolved:
        raise ValidationError("已撤销的组织不能升格。")
    parent = Organisation.objects.get_parent(org)
    if parent is not None and target not in ALLOWED_CHILDREN[OrgKind(parent.kind)]:
        raise ValidationError(f"{parent.get_kind_display()}下不能设立{target.label}，请先调整隶属关系。")
    if Organisation.objects.get_children(org).filter(kind=OrgKind.GROUP, dissolved_on__isnull=True).exists():
        raise ValidationError("升格前请先撤销或调整该支部下的党小组。")
    before = org.snapshot()
    org.kind = target
    fields = ["kind"]
    if new_name and new_name.strip() and new_name.strip() != org.name:
        org.name = new_name.strip()
        fields.append("name")
    org.save(update_fields=fields)
    _event(org, OrgEvent.Kind.UPGRADE, actor, effective_on, before, org.snapshot(), note)
    return org


@transaction.atomic
def org_dissolve(*, actor, org, dissolved_on, note=""):
    """Dissolve an organisation. It must be empty: no active sub-organisations, nobody on its roster."""
    _require_write(actor, org)
    if org.is_dissolved:
        raise ValidationError("该组织已撤销。")
    if dissolved_on < org.founded_on:
        raise ValidationError({"dissolved_on": "撤销日期不能早于成立日期。"})
    if Organisation.objects.get_descendants(org).filter(dissolved_on__isnull=True).exists():
        raise ValidationError("请先撤销或移出下级组织。")
    from dangjian.members.models import Person

    if Person.objects.filter(org=org).on_roster().exists():
        raise ValidationError("该组织仍有人员，请先转移组织关系。")
    before = org.snapshot()
    org.dissolved_on = dissolved_on
    org.save(update_fields=["dissolved_on"])
    CommitteePost.objects.filter(org=org, ended_on__isnull=True).update(ended_on=dissolved_on)
    _event(org, OrgEvent.Kind.DISSOLVE, actor, dissolved_on, before, org.snapshot(), note)
    return org


@transaction.atomic
def committee_post_add(*, actor, org, person, post, started_on):
    _require_write(actor, org)
    if person.org_id != org.pk and not (org.kind == OrgKind.GROUP and person.group_id == org.pk):
        if not person.org.path.startswith(org.path):
            raise ValidationError({"person": "班子成员须为本组织的党员。"})
    if not person.is_party_member:
        raise ValidationError({"person": "班子成员须为党员。"})
    if post == CommitteePost.Post.GROUP_LEADER and org.kind != OrgKind.GROUP:
        raise ValidationError({"post": "党小组长只能在党小组设立。"})
    if post != CommitteePost.Post.GROUP_LEADER and org.kind == OrgKind.GROUP:
        raise ValidationError({"post": "党小组只设党小组长。"})
    single = {CommitteePost.Post.SECRETARY, CommitteePost.Post.GROUP_LEADER}
    if post in single and CommitteePost.objects.filter(org=org, post=post, ended_on__isnull=True).exists():
        raise ValidationError({"post": f"本组织已有在任{CommitteePost.Post(post).label}，请先办理离任。"})
    if CommitteePost.objects.filter(org=org, person=person, ended_on__isnull=True).exists():
        raise ValidationError({"person": ValidationError("该同志已在本组织班子中任职。", code="conflict")})
    seat = CommitteePost(org=org, person=person, post=post, started_on=started_on)
    seat.full_clean()
    seat.save()
    audit.record(actor=actor, event=audit.Event.CREATE, obj=seat,
                 changes={"after": {"org": org.name, "person": person.name, "post": seat.get_post_display(),
                                    "started_on": started_on.isoformat()}})
    return seat


@transaction.atomic
def committee_post_end(*, actor, seat, ended_on):
    _require_write(actor, seat.org)
    if seat.ended_on is not None:
        raise ValidationError("该职务已离任。")
    if ended_on < seat.started_on:
        raise ValidationError({"ended_on": "离任日期不能早于任职日期。"})
    seat.ended_on = ended_on
    seat.save(update_fields=["ended_on"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=seat,
                 changes={"before": {"ended_on": None}, "after": {"ended_on": ended_on.isoformat()}})
    return seat
