"""API permission-matrix rows for the holiday calendar (see tests/test_api_permissions.py): every account reads the
entries; only the system administrator imports and deletes (everyone else 403, as on the pages). Deleting takes a
fresh entry each call."""

import itertools
from datetime import date, timedelta

from dangjian.workdays.models import Holiday
from tests.test_api_permissions import Case
from tests.test_permission_matrix import ALL

_days = itertools.count(0)


def fresh_holiday(ctx, scope):
    day = date(2031, 1, 1) + timedelta(days=next(_days) % 3000)
    Holiday.objects.filter(date=day).delete()
    return {"holiday_id": Holiday.objects.create(date=day, kind=Holiday.Kind.REST, name="测试").pk}


def system_only():
    return {role: 403 for role in ALL} | {"anon": 401, "system": 200}


EXPECT = {
    "workdays_holidays_list": Case({role: 200 for role in ALL} | {"anon": 401}),
    "workdays_holidays_import": Case(system_only(), body={"text": "2030-10-01 休 国庆节\n2030-10-12 班"}),
    # Holidays belong to no organisation: "in" and "out" are both a fresh entry.
    "workdays_holidays_delete": Case({role: (403, 403) for role in ALL} | {"anon": (401, 401), "system": (200, 200)},
                                     fresh_holiday),
}
