"""Writes of 述职评议: scoring forms, secretaries' reports (with attachments) and scores. Each validates,
checks the write right, saves and records its audit row in one transaction; bad input changes nothing."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core import audit, scoping, uploads
from dangjian.members.models import Person
from dangjian.orgs.models import WRITE_ROLES, CommitteePost, Organisation, OrgKind
from dangjian.points.services import decimal_in_range

from .models import Attachment, Item, Mark, Report, ScoringForm, Sheet

MAX_ITEMS = 30
TEXT_MAX = 20000


def _require_write(actor, org, message):
    if actor is not None and not scoping.can_write(actor, org):
        raise PermissionDenied(message)


def _conflict(message, field=None):
    """A refusal because of the record's state or an existing record: the API answers 409, the pages show the
    message like any other error."""
    error = ValidationError(message, code="conflict")
    return ValidationError({field: error}) if field else error


def _text(value, field, label, max_length, *, required=True):
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError({field: f"请填写{label}。"})
    if len(text) > max_length:
        raise ValidationError({field: f"{label}不能超过{max_length}字。"})
    return text


# --- scoring forms ---------------------------------------------------------------------------


def form_orgs(user):
    """The organisations the user may issue a scoring form for (the new-form page's choices; none: 403), a
    queryset in path order."""
    return Organisation.objects.filter(scoping.scope_q(user, "path", WRITE_ROLES), dissolved_on__isnull=True)


def form_snapshot(form):
    return {"org": form.org.name, "year": form.year, "title": form.title,
            "items": [f"{i.name}（{i.max_score}分）" for i in form.items.order_by("order", "id")]}


def _clean_items(items):
    if not items:
        raise ValidationError({"items": "请至少填写一个评分项目。"})
    if len(items) > MAX_ITEMS:
        raise ValidationError({"items": f"评分项目不能超过{MAX_ITEMS}个。"})
    clean, names = [], set()
    for n, item in enumerate(items, 1):
        name = _text(item.get("name"), "items", f"第{n}项的名称", 100)
        if name in names:
            raise ValidationError({"items": f"评分项目“{name}”重复。"})
        names.add(name)
        try:
            max_score = decimal_in_range(item.get("max_score"), "items", f"第{n}项“{name}”的满分", Decimal("0.1"), 100)
        except ValidationError as exc:
            raise ValidationError({"items": exc.message_dict["items"]}) from None
        clean.append({"name": name, "max_score": max_score,
                      "guidance": _text(item.get("guidance"), "items", f"第{n}项的评分要点", 300, required=False)})
    return clean


@transaction.atomic
def form_save(*, actor, org=None, form=None, year=None, title, items):
    """Create a form (org, year) or change one (title, items). Items cannot change once scoring has started.
    `items` = [{"name", "max_score", "guidance"}]."""
    creating = form is None
    if creating:
        if org is None or org.pk is None:
            raise ValidationError({"org": "请选择组织。"})
        _require_write(actor, org, "您无权为该组织制定述职评议评分表。")
        if org.is_dissolved:
            raise ValidationError({"org": "该组织已撤销。"})
        today = timezone.localdate()
        if not isinstance(year, int) or not 2000 <= year <= today.year + 1:
            raise ValidationError({"year": f"年度须在2000至{today.year + 1}之间。"})
        form = ScoringForm(org=org, year=year, created_by=actor if actor and actor.is_authenticated else None)
        before = {}
    else:
        form = ScoringForm.objects.select_for_update().select_related("org").get(pk=form.pk)
        _require_write(actor, form.org, "您无权修改该评分表。")
        before = form_snapshot(form)
    title = _text(title, "title", "名称", 100)
    items = _clean_items(items)
    if not creating and Sheet.objects.filter(report__form=form).exists():
        current = [{"name": i.name, "max_score": i.max_score, "guidance": i.guidance} for i in form.items.all()]
        if current != items:
            raise _conflict("已开始评分，评分项目不能再修改。", "items")
    if creating and ScoringForm.objects.filter(org=form.org, year=form.year).exists():
        raise _conflict("该组织本年度已有述职评议评分表。", "year")
    form.title = title
    form.save()
    if creating or not Sheet.objects.filter(report__form=form).exists():
        form.items.all().delete()
        Item.objects.bulk_create([Item(form=form, order=n, **item) for n, item in enumerate(items)])
    after = form_snapshot(form)
    if before != after:
        audit.record(actor=actor, event=audit.Event.CREATE if creating else audit.Event.UPDATE, obj=form,
                     changes={"before": before, "after": after})
    return form


@transaction.atomic
def form_delete(*, actor, form):
    form = ScoringForm.objects.select_for_update().select_related("org").get(pk=form.pk)
    _require_write(actor, form.org, "您无权删除该评分表。")
    if form.reports.exists():
        raise _conflict("已有述职报告提交，不能删除评分表。")
    before, pk, text = form_snapshot(form), form.pk, str(form)
    form.delete()
    audit.record(actor=actor, event=audit.Event.DELETE, object_type=ScoringForm._meta.label_lower, object_id=pk,
                 object_repr=text, changes={"before": before, "after": {}})


# --- reports ---------------------------------------------------------------------------------


def report_orgs(user, form):
    """Organisations below the form's issuer that the user may submit a report for (the submit page's choices;
    none: 403): writable, not dissolved, not a Party group. A queryset in path order."""
    return (Organisation.objects.filter(scoping.scope_q(user, "path", WRITE_ROLES), dissolved_on__isnull=True,
                                        path__startswith=form.org.path)
            .exclude(pk=form.org_id).exclude(kind=OrgKind.GROUP))


def secretaries(orgs):
    """The serving secretaries and deputy secretaries of `orgs` (people of those organisations): who may report.
    `orgs`: a list, or a queryset (a large scope: read in the database, never loaded whole)."""
    posts = (CommitteePost.objects.filter(post__in=[CommitteePost.Post.SECRETARY, CommitteePost.Post.DEPUTY],
                                          ended_on__isnull=True)
             .select_related("person__org").order_by("org__path", "post"))
    if isinstance(orgs, QuerySet):
        posts = list(posts.filter(org__in=orgs.values("pk")).select_related("org"))
        # A person of the post's own subtree is in; for the others, one query: is one of the organisations above
        # the person's (or it) among `orgs`?
        step = Organisation.steplen
        above = {p.person.org.path[:i] for p in posts if not p.person.org.path.startswith(p.org.path)
                 for i in range(step, len(p.person.org.path) + 1, step)}
        paths = set(orgs.filter(path__in=above).values_list("path", flat=True)) if above else set()
        inside = [p for p in posts if p.person.org.path.startswith(p.org.path)
                  or any(p.person.org.path.startswith(q) for q in paths)]
    else:
        paths = [o.path for o in orgs]
        inside = [p for p in posts.filter(org__in=[o.pk for o in orgs])
                  if any(p.person.org.path.startswith(q) for q in paths)]
    people = {}
    for post in inside:
        people.setdefault(post.person_id, post.person)
    return list(people.values())


def report_people(report):
    """Who an existing report may name: the organisation's secretaries, and whoever it names now."""
    people = secretaries([report.org]) or [report.person]
    if report.person not in people:
        people.append(report.person)
    return people


def report_snapshot(report):
    return {"form": str(report.form), "org": report.org.name, "person": report.person.name,
            "submitted_on": report.submitted_on.isoformat(), "text": report.text[:200],
            "attachments": [a.original_name for a in report.attachments.order_by("id")]}


def _scoring_started(report):
    return report.pk is not None and Sheet.objects.filter(report=report).exists()


def _lock_editable(actor, report, message, refused):
    """The report locked for a change by a writer of its organisation, refused (409) once scoring started."""
    report = Report.objects.select_for_update().select_related("form", "org", "person").get(pk=report.pk)
    _require_write(actor, report.org, message)
    if _scoring_started(report):
        raise _conflict(refused)
    return report


def _attach(report, upload):
    content_type, ext = uploads.check_upload(upload)
    return Attachment.objects.create(report=report, file=uploads.stored_file(upload, ext),
                                     original_name=uploads.display_name(upload, ext), content_type=content_type,
                                     size=upload.size)


@transaction.atomic
def report_save(*, actor, form=None, org=None, report=None, person, text, upload=None):
    """Submit (form, org, person, text) or edit a report (person, text, one more attachment) until scoring starts."""
    creating = report is None
    if creating:
        if org is None or org.pk is None:
            raise ValidationError({"org": "请选择述职组织。"})
        _require_write(actor, org, "您无权为该组织提交述职报告。")
        if not org.path.startswith(form.org.path) or org.pk == form.org_id:
            raise ValidationError({"org": f"述职组织须是{form.org.name}的下级组织。"})
        report = Report(form=form, org=org, submitted_on=timezone.localdate(),
                        created_by=actor if actor and actor.is_authenticated else None)
        before = {}
    else:
        report = _lock_editable(actor, report, "您无权修改该述职报告。", "已开始评分，述职报告不能再修改。")
        before = report_snapshot(report)
    if person is None or not Person.objects.filter(pk=getattr(person, "pk", None),
                                                   org__path__startswith=report.org.path).exists():
        raise ValidationError({"person": f"述职书记须是{report.org.name}的人员。"})
    report.person = person
    report.text = _text(text, "text", "述职报告", TEXT_MAX)
    if upload is not None:
        uploads.check_upload(upload)
    if creating and Report.objects.filter(form=report.form, org=report.org).exists():
        raise _conflict("该组织已提交本年度述职报告。", "org")
    report.save()
    if upload is not None:
        _attach(report, upload)
    after = report_snapshot(report)
    if before != after:
        audit.record(actor=actor, event=audit.Event.CREATE if creating else audit.Event.UPDATE, obj=report,
                     changes={"before": before, "after": after})
    return report


@transaction.atomic
def report_attach(*, actor, report, upload):
    """One more attachment (PDF/JPEG/PNG ≤ 10 MB, checked by content) on a report, until scoring starts: what the
    edit page's upload field adds, audited as a change of the report."""
    report = _lock_editable(actor, report, "您无权修改该述职报告。", "已开始评分，述职报告不能再修改。")
    before = report_snapshot(report)
    attachment = _attach(report, upload)
    report.save(update_fields=["updated_at"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=report,
                 changes={"before": before, "after": report_snapshot(report)})
    return attachment


@transaction.atomic
def report_delete(*, actor, report):
    report = _lock_editable(actor, report, "您无权删除该述职报告。", "已开始评分，述职报告不能删除。")
    before, pk, text = report_snapshot(report), report.pk, str(report)
    for attachment in report.attachments.all():
        attachment.file.delete(save=False)
    report.delete()
    audit.record(actor=actor, event=audit.Event.DELETE, object_type=Report._meta.label_lower, object_id=pk,
                 object_repr=text, changes={"before": before, "after": {}})


# --- scores ----------------------------------------------------------------------------------


def can_score(user, report):
    """Writers (组织管理员, 书记) of the organisation that issued the form: the level above the secretary."""
    return scoping.can_write(user, report.form.org)


@transaction.atomic
def sheet_save(*, actor, report, marks, comment=""):
    """The scorer's marks for a report: {item id: score}, every item, each within 0..its full marks.
    A second call by the same scorer changes his sheet (audited with before and after)."""
    report = Report.objects.select_related("form__org", "org", "person").get(pk=report.pk)
    if actor is None or not can_score(actor, report):
        raise PermissionDenied("只有上级党组织的书记或组织管理员可以评分。")
    items = list(report.form.items.all())
    errors, clean = {}, {}
    for item in items:
        field = f"item_{item.pk}"
        value = marks.get(item.pk, marks.get(str(item.pk)))
        if value in (None, ""):
            errors[field] = f"请为“{item.name}”评分。"
            continue
        try:
            clean[item.pk] = decimal_in_range(value, field, item.name, Decimal(0), item.max_score)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    unknown = set(map(str, marks)) - {str(i.pk) for i in items}
    if unknown:
        errors["__all__"] = "评分项目不属于该评分表。"
    comment = _text(comment, "comment", "评语", 500, required=False)
    if errors:
        raise ValidationError(errors)
    sheet = Sheet.objects.select_for_update().filter(report=report, scorer=actor).first()
    names = {i.pk: i.name for i in items}
    before = {}
    if sheet is None:
        try:
            with transaction.atomic():
                sheet = Sheet.objects.create(report=report, scorer=actor, comment=comment)
        except IntegrityError:
            raise ValidationError("您已为该述职报告评过分。", code="conflict") from None
    else:
        before = {"comment": sheet.comment, **{names[m.item_id]: str(m.score) for m in sheet.marks.all()}}
        sheet.comment = comment
        sheet.save()
        sheet.marks.all().delete()
    Mark.objects.bulk_create([Mark(sheet=sheet, item_id=pk, score=score) for pk, score in clean.items()])
    after = {"comment": comment, **{names[pk]: str(score) for pk, score in clean.items()}}
    if before != after:
        audit.record(actor=actor, event=audit.Event.UPDATE if before else audit.Event.CREATE, obj=sheet,
                     object_repr=f"评分：{report}", changes={"before": before, "after": after})
    return sheet
