"""Demo 组织关系转接 and 失联 records, relative to the reference date R (2026-09-01), in the demo school
(阳光中学党总支) when present, else the first school with members:

- a letter to another school of the district, issued R-20 (转接中, valid), and one issued R-4 months (expired:
  a finding for the sender and an overdue 待办);
- an incoming record from outside the platform awaiting review (issued R-10);
- a member registered 失联 since R-7 months (a 停止党籍 proposal).

Records are written directly (no audit rows: the demo load writes its one import row). Deterministic from `seed`.
"""

import random
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from dangjian.demo.builder import REFERENCE_DATE
from dangjian.demo.plans import DEMO_SEED000_SCHOOL
from dangjian.members.models import Person, Status
from dangjian.orgs.models import Organisation, OrgKind

from .models import ContactLoss, Kind, Transfer

R = REFERENCE_DATE
MONTHS = 3   # the default of rule transfers.letter_validity


def extend(result, *, seed, years=1):
    rng = random.Random(f"dangjian-transfers-{seed}")
    school = result.orgs.get(DEMO_SEED000_SCHOOL) or result.root
    people = list(Person.objects.filter(org__path__startswith=school.path, status=Status.FULL,
                                        status_since__lte=R - relativedelta(months=8), user__isnull=True,
                                        posts__isnull=True).order_by("pk")[:40])
    others = list(Organisation.objects.filter(kind__in=[OrgKind.BRANCH, OrgKind.GENERAL_BRANCH],
                                              dissolved_on__isnull=True).exclude(path__startswith=school.path)
                  .order_by("path")[:20])
    if len(people) < 3 or not others:
        return
    picked = rng.sample(people, 3)
    for person, issued, no in ((picked[0], R - timedelta(days=20), "阳光〔2026〕12号"),
                               (picked[1], R - relativedelta(months=4), "阳光〔2026〕5号")):
        Transfer.objects.create(kind=Kind.OUT, person=person, from_org_id=person.org_id, to_org=rng.choice(others),
                                letter_no=no, issued_on=issued, valid_until=issued + relativedelta(months=MONTHS),
                                reason="工作调动")
    target = Organisation.objects.filter(pk=picked[0].org_id).first()
    incoming = Transfer(kind=Kind.IN, from_name="邻市实验小学党支部", to_org=target, letter_no="邻〔2026〕21号",
                        issued_on=R - timedelta(days=10), valid_until=R - timedelta(days=10) + relativedelta(months=MONTHS),
                        reason="教师招聘入职", name="周晓雯", gender="F", birth_date=R.replace(year=R.year - 31),
                        party_status=Status.FULL, joined_on=R.replace(year=R.year - 8),
                        full_member_on=R.replace(year=R.year - 7), materials="组织关系介绍信\n党员档案\n党费交纳证明")
    incoming.save()
    ContactLoss.objects.create(person=picked[2], since=R - relativedelta(months=7),
                               note="外出务工后电话停机，多次联系家属未果。")
    Person.objects.filter(pk=picked[2].pk).update(lost_contact=True)
