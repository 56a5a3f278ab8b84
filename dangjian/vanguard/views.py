"""Pages of the vanguard app: an overview of the figures, and for each record kind a list (filters, search,
pagination), a create and an edit form, and a confirmed delete. One set of views serves every kind (KINDS)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scoping, uploads
from dangjian.core.forms import submit_form
from dangjian.core.pages import paginate
from dangjian.members.models import ENDED_STATUSES, Person
from dangjian.orgs.models import Organisation
from dangjian.orgs.picker import org_name, org_picker

from . import selectors, services
from .forms import ArticleForm, DutyPostForm, HonourForm, LessonForm, LessonReviewForm, MentorPairForm
from .models import Article, DutyPost, Honour, Lesson, LessonReview, Level

PAGE_SIZE = 50


@dataclass(frozen=True)
class Kind:
    slug: str
    label: str
    form: type
    create: object
    update: object
    delete: object
    keyword: str          # the service's keyword for the record, e.g. "pair"
    fields: tuple         # the service's fields, in form order
    empty: str            # the empty state of the list


KINDS = {k.slug: k for k in [
    Kind("pairs", "师徒结对", MentorPairForm, services.mentor_pair_create, services.mentor_pair_update,
         services.mentor_pair_delete, "pair", tuple(services.PAIR_FIELDS), "暂无师徒结对记录。"),
    Kind("posts", "党员岗位", DutyPostForm, services.duty_post_create, services.duty_post_update,
         services.duty_post_delete, "post", tuple(services.POST_FIELDS), "暂无党员责任区、责任岗记录。"),
    Kind("lessons", "示范课/公开课", LessonForm, services.lesson_create, services.lesson_update,
         services.lesson_delete, "lesson", tuple(services.LESSON_FIELDS), "暂无示范课、观摩课、评优课、公开课记录。"),
    Kind("reviews", "听课评课", LessonReviewForm, services.lesson_review_create, services.lesson_review_update,
         services.lesson_review_delete, "review", tuple(services.REVIEW_FIELDS), "暂无听课评课记录。"),
    Kind("articles", "宣传稿件", ArticleForm, services.article_create, services.article_update,
         services.article_delete, "article", tuple(services.ARTICLE_FIELDS), "暂无宣传稿件记录。"),
    Kind("honours", "荣誉", HonourForm, services.honour_create, services.honour_update, services.honour_delete,
         "honour", tuple(services.HONOUR_FIELDS), "暂无荣誉记录。"),
]}


def _require_reader(request):
    if not scoping.has_party_scope(request.user):
        raise PermissionDenied("您没有查看此类记录的权限")


def _can_write(request):
    return bool(selectors.writable_orgs(request.user).exists())


def _list_url(kind):
    return reverse(f"vanguard:{kind.slug}")


# --- overview --------------------------------------------------------------------------------


@login_required
@require_GET
def home(request):
    _require_reader(request)
    today = timezone.localdate()
    org = None
    if str(request.GET.get("org", "")).isdigit():
        org = selectors.scoped_orgs(request.user).filter(pk=request.GET["org"]).first()
    org = org or selectors.default_org(request.user)
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 2000), today.year)
    start, end = date(year, 1, 1), date(year, 12, 31)
    figures = selectors.summary(org, start, end) if org is not None else None
    return render(request, "vanguard/home.html", {
        "figures": figures, "org": org, "year": year, "years": range(today.year, today.year - 6, -1),
        "org_picker": org_picker("org", selectors.scoped_orgs(request.user), org, empty_label=None,
                                 label_from_instance=org_name, attrs={"id": "f-org"}),
        "tab": "home", "kinds": KINDS.values(),
        "sections": _sections(figures) if figures else []})


def _rows(counts, choices):
    return [(label, counts[value]) for value, label in choices]


def _sections(f):
    """The summary as display sections: (title, total, link slug, [(label, count)])."""
    people, orgs = f["honours"]["people"], f["honours"]["orgs"]
    return [
        (f"师徒结对（{f['school_year']}学年）", f["mentor_pairs"], "pairs", [("师傅人数", f["mentors"])]),
        ("党员岗位", f["posts"]["total"], "posts", _rows(f["posts"]["by_kind"], DutyPost.Kind.choices)),
        ("示范课、观摩课、评优课、公开课", f["lessons"]["total"], "lessons",
         _rows(f["lessons"]["by_kind"], Lesson.Kind.choices) + _rows(f["lessons"]["by_level"], Level.choices)
         + [("获奖", f["lessons"]["awarded"])]),
        ("听课评课", f["lesson_reviews"]["total"], "reviews",
         _rows(f["lesson_reviews"]["by_role"], LessonReview.Role.choices)),
        ("宣传稿件", f["articles"]["total"], "articles",
         _rows(f["articles"]["by_platform"], Article.Platform.choices) + _rows(f["articles"]["by_level"],
                                                                                Level.choices)),
        ("个人荣誉", people["total"], "honours", [("获奖人数", f["honours"]["people_honoured"])]
         + _rows(people["by_level"], Level.choices) + [r for r in _rows(people["by_kind"], Honour.Kind.choices) if r[1]]),
        ("组织荣誉", orgs["total"], "honours", [("获奖组织数", f["honours"]["orgs_honoured"])]
         + _rows(orgs["by_level"], Level.choices) + [r for r in _rows(orgs["by_kind"], Honour.Kind.choices) if r[1]]),
    ]


# --- lists -----------------------------------------------------------------------------------


@login_required
@require_GET
def record_list(request, kind):
    kind = KINDS[kind]
    _require_reader(request)
    today = timezone.localdate()
    qs, filters = selectors.record_list(kind.slug, request.user, request.GET, today)
    page, query = paginate(request, qs, PAGE_SIZE)
    spec = selectors.SPECS[kind.slug]
    return render(request, "vanguard/list.html", {
        "kind": kind, "tab": kind.slug, "kinds": KINDS.values(), "page": page, "filters": filters,
        "query": query, "today": today,
        "org_picker": org_picker("org", selectors.scoped_orgs(request.user), filters["org"],
                                 label_from_instance=org_name, attrs={"id": "f-org"}),
        "choice_filters": [(f, f.options(today), filters.get(f.param, "")) for f in spec.filters],
        "dated": bool(spec.date_field or spec.between), "can_write": _can_write(request),
        "table": f"vanguard/_table_{kind.slug}.html"})


# --- create, edit, delete --------------------------------------------------------------------


def _form_kwargs(request, org):
    people = (Person.objects.filter(org__path__startswith=org.path).exclude(status__in=ENDED_STATUSES)
              .select_related("org").order_by("org__path", "name", "id"))
    since = timezone.localdate() - timedelta(days=730)
    return {"people": people,
            "orgs": Organisation.objects.filter(path__startswith=org.path, dissolved_on__isnull=True),
            "lessons": Lesson.objects.visible_to(request.user).filter(date__gte=since).select_related("teacher")}


def _service_data(kind, data):
    data = dict(data)
    extra = {name: data.pop(name) for name in ("certificate", "remove_certificate") if name in data}
    fields = {name: data[name] for name in kind.fields if name in data}
    if extra.get("certificate") is not None:
        fields["certificate"] = extra["certificate"]
    if extra.get("remove_certificate"):
        fields["remove_certificate"] = True
    return fields


def _form_page(request, kind, form, *, org, obj=None):
    return render(request, "vanguard/form.html", {
        "kind": kind, "form": form, "org": org, "obj": obj, "tab": kind.slug,
        "title": f"{'修改' if obj else '登记'}{kind.label}：{org.name}"},
        status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def record_new(request, kind):
    kind = KINDS[kind]
    orgs = selectors.writable_orgs(request.user)
    if not orgs.exists():
        raise PermissionDenied("您没有登记此类记录的权限")
    org_id = request.GET.get("org") or request.POST.get("org")
    org = orgs.filter(pk=org_id).first() if str(org_id or "").isdigit() else None
    if org is None:
        return render(request, "vanguard/org_pick.html", {"kind": kind, "orgs": orgs, "error": bool(org_id),
                                                          "tab": kind.slug})
    initial = {"date": timezone.localdate(), "starts_on": timezone.localdate(),
               "school_year": services.school_year_of(timezone.localdate())}
    form = kind.form(request.POST or None, request.FILES or None, initial=initial, **_form_kwargs(request, org))
    done = submit_form(request, form,
                       lambda data: kind.create(actor=request.user, org=org, **_service_data(kind, data)),
                       success=f"已登记{kind.label}。", then=_list_url(kind))
    return done or _form_page(request, kind, form, org=org)


def _get(request, kind, pk, *, write=False):
    model = selectors.SPECS[kind.slug].model
    return scoping.get_for_user(request, model.objects.select_related("org"), pk, write=write)


def _initial(kind, obj):
    initial = {}
    for name in kind.fields:
        value = getattr(obj, name)
        initial[name] = list(value.all()) if name == "authors" else value
    if isinstance(obj, Honour) and obj.month:
        initial["month"] = f"{obj.month:%Y-%m}"
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def record_edit(request, kind, pk):
    kind = KINDS[kind]
    obj = _get(request, kind, pk, write=True)
    form = kind.form(request.POST or None, request.FILES or None, initial=_initial(kind, obj), editing=True,
                     **_form_kwargs(request, obj.org))
    done = submit_form(request, form,
                       lambda data: kind.update(actor=request.user, **{kind.keyword: obj},
                                                **_service_data(kind, data)),
                       success="已保存。", then=_list_url(kind))
    return done or _form_page(request, kind, form, org=obj.org, obj=obj)


@login_required
@require_POST
def record_delete(request, kind, pk):
    kind = KINDS[kind]
    obj = _get(request, kind, pk, write=True)
    try:
        kind.delete(actor=request.user, **{kind.keyword: obj})
        messages.success(request, f"已删除{kind.label}记录。")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect(_list_url(kind))


@login_required
@require_GET
def honour_certificate(request, pk):
    honour = _get(request, KINDS["honours"], pk)
    if not honour.certificate:
        raise Http404("该荣誉没有上传证书")
    return uploads.download_response(honour.certificate, honour.certificate_name, honour.certificate_type)
