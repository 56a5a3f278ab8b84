"""API permission-matrix rows for the pipeline app (see tests/test_api_permissions.py).

"in": a development file of branch_a2 (inside school_a, where the org roles sit); "out": one of school_b. The writes
get a fresh file for each call (opened ten days ago), so recording the talk (step ②, today) or withdrawing it
succeeds for each writer inside the scope."""

from datetime import date, timedelta

from django.utils import timezone

from dangjian.members.models import Status
from dangjian.pipeline import services
from tests.factories import make_person
from tests.test_api_permissions import Case, api_list, api_read, api_write


def open_file(org):
    person = make_person(org, status=Status.NON_MEMBER, status_since=date(2015, 1, 1))
    return services.file_open(actor=None, person=person, applied_on=timezone.localdate() - timedelta(days=10))


def extend_ctx(ctx):
    for scope in ("in", "out"):
        ctx[f"pipeline_file_{scope}"] = open_file(ctx[f"org_{scope}"])


def fresh_file(c, s):
    return {"file_id": open_file(c[f"org_{s}"]).pk}


def today():
    return timezone.localdate().isoformat()


EXPECT = {
    "pipeline_files_list": Case(api_list()),
    "pipeline_files_detail": Case(api_read(), lambda c, s: {"file_id": c[f"pipeline_file_{s}"].pk}),
    "pipeline_steps_record": Case(api_write(201), fresh_file,
                                  body=lambda c, s: {"number": 2, "date": today(), "talker_name": "上级党委组织员"}),
    "pipeline_files_withdraw": Case(api_write(), fresh_file,
                                    body=lambda c, s: {"kind": "applicant", "decided_on": today(),
                                                       "reason": "本人撤回入党申请"}),
}
