"""`dangjian findings --org <id> --on <date> [--json]`: the same findings as the 问题清单, as a Chinese table or
JSON; unknown organisations and bad dates are Chinese errors with a non-zero exit."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.compliance.engine import findings_for
from dangjian.life.models import Meeting
from dangjian.orgs.models import CommitteePost, Organisation
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("findings", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def branch(tree):
    b = tree["branch_a1"]
    for i in range(3):
        CommitteePost.objects.create(org=b, person=make_person(b), started_on=date(2015, 1, 1),
                                     post=CommitteePost.Post.SECRETARY if i == 0 else CommitteePost.Post.MEMBER)
    Meeting.objects.create(org=b, type="committee", status="held", theme="支委会", date=date(2024, 2, 5))
    return b


def test_json_lists_the_same_findings_as_the_engine_with_every_field(tree, branch):
    rows = json.loads(run("--org", str(tree["school_a"].pk), "--on", "2024-04-01", "--json"))
    subtree = list(Organisation.objects.subtree_of(tree["school_a"]).active())
    expected = findings_for(subtree, on=date(2024, 4, 1))
    assert len(rows) == len(expected) > 0
    assert set(rows[0]) == {"org_id", "org", "subject", "rule_id", "rule", "source", "severity", "due_on", "message"}
    march = next(r for r in rows if r["subject"] == "支委会（2024年3月）")
    assert march == {
        "org_id": branch.pk, "org": "实验中学第一党支部", "subject": "支委会（2024年3月）", "rule_id": "life.committee",
        "rule": "支部委员会会议一般每月召开1次", "source": "支条 第十二条", "severity": "overdue", "due_on": "2024-03-31",
        "message": "2024年3月未召开支委会（每月），已于2024年03月31日到期。",
    }
    assert not any(r["subject"] == "支委会（2024年2月）" for r in rows)


def test_table_is_in_chinese_with_a_count(tree, branch):
    out = run("--org", str(branch.pk), "--on", "2024-04-01")
    assert out.startswith("实验中学第一党支部 及下级组织，检查日期 2024-04-01：共")
    for text in ("级别", "组织", "对象", "规则", "出处", "到期日", "说明", "逾期/错误", "支委会（2024年3月）"):
        assert text in out


def test_an_organisation_without_findings_says_so(tree):
    out = run("--org", str(tree["group_a1"].pk), "--on", "2009-06-01")  # before the group was founded
    assert out.strip() == "语文组党小组 及下级组织，检查日期 2009-06-01：共 0 条问题。"
    assert run("--org", str(tree["group_a1"].pk), "--on", "2009-06-01", "--json").strip() == "[]"


@pytest.mark.parametrize("args, message", [
    (["--org", "999999"], "未找到编号为 999999 的组织。"),
    (["--org", "abc"], "组织编号应为数字：abc"),
    (["--org", "ORG", "--on", "2024-02-30"], "检查日期格式应为 YYYY-MM-DD：2024-02-30"),
    (["--org", "ORG", "--on", "yesterday"], "检查日期格式应为 YYYY-MM-DD：yesterday"),
])
def test_bad_arguments_are_chinese_errors(tree, args, message):
    args = [str(tree["school_a"].pk) if a == "ORG" else a for a in args]
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_the_console_script_exits_non_zero_on_error(tree, capsys):
    from dangjian.core.management.commands.findings import Command

    with pytest.raises(SystemExit) as exc:
        Command().run_from_argv(["dangjian", "findings", "--org", "999999"])
    assert exc.value.code != 0
    assert "未找到编号为 999999 的组织。" in capsys.readouterr().err
