"""Demo and synthetic 任务清单, 目标责任书 and 党建指导员, relative to the reference date R (2026-09-01):

- the district issues 报送上半年党建工作总结 to every school (issued R-60, due R-30): all answered — a few late —
  except one school, which is overdue; 开展“学习强国”学习情况自查 to every 党支部 (issued R-10, due R+5, so
  即将到期 on R): about half answered; 秋季开学志愿服务 to its direct subordinates (issued R-3, due R+20): none yet;
- the demo school (阳光中学党总支) issues 报送主题党日活动计划 to its branches (issued R-20, due R-5): the first
  answered on time, the second late, the last still open (overdue);
- 目标责任书 for the reference year: every school but the last two, and the demo school's branches;
- one 党建指导员 for the demo school and one for the seed-001 school.

Records are written in bulk (no audit rows: the demo load writes its one import row). Deterministic from `seed`.
"""

import random
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from dangjian.demo.builder import REFERENCE_DATE
from dangjian.demo.plans import DEMO_SEED000_SCHOOL, DEMO_SEED001_BRANCH

from . import selectors
from .models import Instructor, Pledge, Receipt, Task

R = REFERENCE_DATE
SAMPLE_PDF = "tasks/demo/pledge-sample.pdf"
PDF = b"%PDF-1.4\n% demo pledge\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ANSWERS = ["已按要求完成并报送。", "已组织全体党员落实，材料已上传。", "已完成，详见附件。"]
UPDATE_BATCH = 500


def _task(org, title, body, issued, due, mode):
    task = Task.objects.create(org=org, title=title, body=body, issued_on=issued, due_on=due, receivers=mode)
    receipts = Receipt.objects.bulk_create([Receipt(task=task, org=o) for o in selectors.receivers_for(org, mode)])
    return task, receipts


def _answer(receipts, rng, done_on):
    for receipt in receipts:
        receipt.answer = rng.choice(ANSWERS)
        receipt.done_on = done_on(receipt)
    # In batches: one UPDATE … CASE WHEN id = … over all of a 100× district's receipts (tens of thousands) costs
    # rows × WHEN clauses, quadratic in the district.
    Receipt.objects.bulk_update(receipts, ["answer", "done_on"], batch_size=UPDATE_BATCH)


def _sample_file():
    if not default_storage.exists(SAMPLE_PDF):
        default_storage.save(SAMPLE_PDF, ContentFile(PDF))
    return SAMPLE_PDF


def extend(result, *, seed, years=1):
    rng = random.Random(f"dangjian-tasks-{seed}")
    root = result.root
    demo_school = result.orgs.get(DEMO_SEED000_SCHOOL)

    summary, receipts = _task(root, "报送2026年上半年党建工作总结", "各学校党组织报送上半年党建工作总结（含“三会一课”开展情况）。",
                              R - timedelta(days=60), R - timedelta(days=30), Task.Receivers.SCHOOLS)
    answered = receipts[:-1]
    late = {answered[i].pk for i in rng.sample(range(len(answered)), min(3, len(answered)))}
    _answer(answered, rng, lambda r: summary.due_on + timedelta(days=4) if r.pk in late
            else summary.due_on - timedelta(days=rng.randint(1, 20)))

    check, receipts = _task(root, "开展“学习强国”学习情况自查", "各党支部对本支部党员学习情况进行自查并报送自查报告。",
                            R - timedelta(days=10), R + timedelta(days=5), Task.Receivers.BRANCHES)
    _answer([r for r in receipts if rng.random() < 0.5], rng, lambda r: R - timedelta(days=rng.randint(0, 9)))

    _task(root, "组织党员参加秋季开学志愿服务", "组织党员教师参加开学护学岗等志愿服务，填报参加人数和人次。",
          R - timedelta(days=3), R + timedelta(days=20), Task.Receivers.CHILDREN)

    if demo_school is not None:
        plan, receipts = _task(demo_school, "报送主题党日活动计划", "各党支部报送9月主题党日活动计划。",
                               R - timedelta(days=20), R - timedelta(days=5), Task.Receivers.BRANCHES)
        if len(receipts) >= 2:
            _answer(receipts[:1], rng, lambda r: plan.due_on - timedelta(days=2))
            _answer(receipts[1:2], rng, lambda r: plan.due_on + timedelta(days=1))

    schools = selectors.schools_in(sorted(result.orgs.values(), key=lambda o: o.path))
    signers = ["书记 王", "书记 李", "书记 张", "书记 刘", "书记 陈"]
    signed = schools[:-2] + ([o for o in result.orgs.values() if demo_school and o.path.startswith(demo_school.path)
                              and o.depth == demo_school.depth + 1] if demo_school else [])
    file_name = _sample_file()
    Pledge.objects.bulk_create([
        Pledge(org=o, year=R.year, signed_on=date(R.year, 2, 1) + timedelta(days=rng.randint(0, 40)),
               signers=f"{root.name}书记；{o.name}{rng.choice(signers)}某", file=file_name,
               file_name="党建目标责任书.pdf", content_type="application/pdf") for o in signed])

    instructors = []
    for code, name, unit in ((DEMO_SEED000_SCHOOL, "陈建国", "青山区教育局"),
                             (DEMO_SEED001_BRANCH, "林晓红", "青山区教师发展中心")):
        if code in result.orgs:
            instructor = Instructor(org=result.orgs[code], name=name, unit=unit, started_on=date(R.year, 3, 1))
            instructor.set_phone(f"1390571{rng.randint(1000, 9999)}")
            instructors.append(instructor)
    Instructor.objects.bulk_create(instructors)
