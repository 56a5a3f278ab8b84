"""`dangjian synth`: a synthetic district of any size (same shapes as the demo), for load tests and benchmarks."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from dangjian.core import audit
from dangjian.core.registry import app_modules, refresh_planner_statistics

CLI_ACTOR = "(命令行)"
MAX_SEED = 99_999
# One "district" for --scale: the size of a real 区县 (300 schools, 12 000 people).
DISTRICT_SCHOOLS, DISTRICT_MEMBERS = 300, 12_000


class Command(BaseCommand):
    help = ("生成模拟区县：区委教育工委 → 片区党委 → 学校党委/党总支/党支部/联合党支部 → 党小组，"
            "人员、政治面貌、班子成员与演示数据同一结构，按参数放大。可在已有数据的数据库中运行，"
            "每个种子生成一个独立的根组织（编码 SYNTH-种子）。")

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=None, help="学校数（默认30）")
        parser.add_argument("--members", type=int, default=None,
                            help="人员总数（默认1200）：正式党员、预备党员、发展对象、积极分子、申请人和少量群众合计")
        parser.add_argument("--scale", type=int, default=None,
                            help=f"按区县倍数生成：学校 {DISTRICT_SCHOOLS}×N 所、人员 {DISTRICT_MEMBERS}×N 人"
                                 "（与 --schools/--members 不能同时使用）")
        parser.add_argument("--years", type=int, default=1,
                            help="业务记录的年数（默认1）：基准日期之前若干年的会议、出席和党费记录")
        parser.add_argument("--seed", type=int, default=1, help=f"随机种子，0–{MAX_SEED}（默认1）；同一种子生成相同数据")
        parser.add_argument("--force", action="store_true",
                            help="DEBUG 关闭（生产模式）时也生成模拟数据。切勿在正式环境使用。")

    def handle(self, *args, schools, members, years, seed, scale=None, force=False, **options):
        from dangjian.demo.builder import REFERENCE_DATE, build
        from dangjian.demo.output import status_summary
        from dangjian.demo.plans import synth_plan, synth_region_code, synth_root_code
        from dangjian.orgs.models import Organisation

        if not settings.DEBUG and not force:
            raise CommandError("当前为生产模式（DEBUG 未开启），拒绝生成模拟数据。如确需生成，请加 --force。")
        if scale is not None:
            if scale < 1:
                raise CommandError("--scale 须为正整数。")
            if schools is not None or members is not None:
                raise CommandError("--scale 与 --schools/--members 不能同时使用。")
            schools, members = DISTRICT_SCHOOLS * scale, DISTRICT_MEMBERS * scale
        schools = 30 if schools is None else schools
        members = 1200 if members is None else members
        if schools < 1:
            raise CommandError("--schools 须为正整数。")
        if members < 1:
            raise CommandError("--members 须为正整数。")
        if years < 1:
            raise CommandError("--years 须为正整数。")
        if not 0 <= seed <= MAX_SEED:
            raise CommandError(f"--seed 须在 0 至 {MAX_SEED} 之间。")
        try:
            plan = synth_plan(schools=schools, members=members, seed=seed)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

        root_code = synth_root_code(seed)
        started = time.perf_counter()
        try:
            with transaction.atomic():
                if Organisation.objects.filter(code=root_code).exists():
                    raise CommandError(f"种子 {seed} 的模拟区县已存在（根组织编码 {root_code}），未做任何更改。"
                                       "请换用其他 --seed。")
                result = build(plan, seed=seed, region_code=synth_region_code(seed))
                self._step(options, "组织、人员与班子", started)
                for module in app_modules("demo"):  # registry.extend_demo, timed per app
                    t0 = time.perf_counter()
                    module.extend(result, seed=seed, years=years)
                    self._step(options, module.__name__, t0)
                counts = result.counts
                audit.record(event=audit.Event.IMPORT, object_type="synth", object_id=root_code,
                             object_repr=f"模拟数据（种子{seed}）", username=CLI_ACTOR,
                             changes={"after": {"学校": schools, "党组织": counts["orgs"], "人员": counts["people"],
                                                "班子成员": counts["posts"], "年数": years,
                                                "基准日期": REFERENCE_DATE.isoformat()}})
        except IntegrityError as exc:
            raise CommandError(f"写入数据库失败，未做任何更改：{exc}") from None
        analyse = time.perf_counter()
        refresh_planner_statistics()
        self._step(options, "ANALYZE", analyse)
        elapsed = time.perf_counter() - started

        self.stdout.write(self.style.SUCCESS(
            f"已生成模拟区县（用时 {elapsed:.1f} 秒）：{result.root.name}，根组织编码 {root_code}，"
            f"学校 {schools} 所，党组织 {counts['orgs']} 个，人员 {counts['people']} 人，"
            f"班子成员 {counts['posts']} 个职务。"))
        self.stdout.write(status_summary(counts) + "。")

    def _step(self, options, what, since):
        if options.get("verbosity", 1) >= 2:
            self.stdout.write(f"  {what}: {time.perf_counter() - since:.1f} 秒")
