"""Demo 述职评议: the district's scoring form for last year, a report by the secretary of every school Party
organisation (the children of the area committees) and two scorers' marks. Deterministic from `seed`."""

import random
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model

from dangjian.demo.builder import REFERENCE_DATE
from dangjian.orgs.models import CommitteePost, Organisation, OrgKind

from .models import Item, Mark, Report, ScoringForm, Sheet

ITEMS = [("落实管党治党责任", Decimal("20"), "书记第一责任人职责，研究部署党建工作"),
         ("组织生活和三会一课", Decimal("25"), "按时召开、记录完整、书记讲党课"),
         ("党员教育管理和发展党员", Decimal("20"), "学习教育、党费收缴、发展党员程序规范"),
         ("党建与教育教学融合", Decimal("20"), "党员示范岗、志愿服务、家访等工作成效"),
         ("存在问题和整改措施", Decimal("15"), "问题找得准、措施实")]


def extend(result, *, seed, years=1):
    rng = random.Random(f"dangjian-appraisal-{seed}")
    root = result.root
    year = REFERENCE_DATE.year - 1
    form = ScoringForm.objects.create(org=root, year=year, title="党组织书记抓基层党建工作述职评议评分表")
    items = Item.objects.bulk_create([Item(form=form, name=name, max_score=full, guidance=guidance, order=n)
                                      for n, (name, full, guidance) in enumerate(ITEMS)])
    schools = Organisation.objects.filter(path__startswith=root.path, depth=root.depth + 2).exclude(kind=OrgKind.GROUP)
    posts = {post.org_id: post.person for post in CommitteePost.objects.filter(
        org__in=schools, post=CommitteePost.Post.SECRETARY, ended_on__isnull=True).select_related("person")}
    User = get_user_model()
    scorers = []
    for n in (1, 2):
        user = User(username=f"appraisal_{root.code}_{n}"[:150].lower(), is_active=False)
        user.set_unusable_password()
        user.save()
        scorers.append(user)
    reports = Report.objects.bulk_create([
        Report(form=form, org=org, person=posts[org.pk], submitted_on=date(year + 1, 1, 10 + i % 10),
               text=f"{year}年，{org.name}坚持以党建引领学校发展，落实“三会一课”等组织生活制度，"
                    f"开展主题党日和志愿服务，推进党建与教育教学深度融合。存在问题：党建品牌特色不够鲜明。")
        for i, org in enumerate(schools.order_by("path")) if org.pk in posts])
    sheets = Sheet.objects.bulk_create([Sheet(report=r, scorer=u, comment="述职内容全面，措施具体。")
                                        for r in reports for u in scorers])
    level = {r.pk: rng.uniform(0.55, 0.98) for r in reports}
    Mark.objects.bulk_create([
        Mark(sheet=s, item=item, score=min(item.max_score, (item.max_score * Decimal(
            str(round(level[s.report_id] + rng.uniform(-0.05, 0.05), 2)))).quantize(Decimal("0.1"))))
        for s in sheets for item in items])
    result.counts.update(appraisal_reports=len(reports))
