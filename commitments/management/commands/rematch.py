"""`manage.py rematch [--bureau NAME] [--year N] [--async]`: match stored plans against their reviews again."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandError

from commitments.models import Bureau
from commitments.queue import EnqueueFailed
from commitments.services.matching import runs_pending_finish, scope_rematch
from commitments.services.reports import InvalidYear, year_check
from commitments.services.runs import ScopeBusy, matching_run_request

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "将已导入的计划承诺与同一单位下一年的工作回顾重新匹配（分析员已确认的结论保持不变）"

    def add_arguments(self, parser):
        parser.add_argument("--bureau", help="只匹配这个单位（全称）")
        parser.add_argument("--year", help="只匹配这个计划年份")
        parser.add_argument(
            "--async", dest="in_background", action="store_true", help="交给后台任务（Celery 工作进程）执行，立即返回"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="即使同一范围有运行显示为“进行中”，也接替它立即匹配（确认它已中断时使用）",
        )

    def handle(self, *args, bureau=None, year=None, in_background=False, force=False, **options):
        try:
            year = year_check(year)
        except InvalidYear as exc:
            raise CommandError(str(exc)) from None
        scope = _bureau(bureau) if bureau else None
        if scope is not None and scope.is_placeholder:
            raise CommandError(f"“{scope.name}”是占位单位，其中的报告来自不同发布单位，不做匹配；请先更正报告的单位")

        if in_background:
            try:
                run = matching_run_request(bureau=scope, year=year)
            except EnqueueFailed as exc:
                raise CommandError(str(exc)) from None
            run.refresh_from_db()
            self.stdout.write(f"已提交后台匹配（运行 #{run.pk}，{run.get_state_display()}）；进度见管理后台“匹配运行”")
            return

        for run in runs_pending_finish():
            self.stdout.write(f"已完成此前中断的匹配运行 #{run.pk}")
        try:
            run, outcome = scope_rematch(bureau=scope, year=year, force=force)
        except ScopeBusy as exc:
            raise CommandError(f"{exc}，请稍后再试；若确认它已中断，可加 --force 接替") from None
        except Exception as exc:
            logger.exception("rematch of %s, plan year %s failed", scope, year)
            raise CommandError(f"匹配中断（{type(exc).__name__}: {exc}），已完成的计划部分已保存；详情见日志") from None

        self.stdout.write(f"匹配完成（运行 #{run.pk}）：{outcome.summary()}")
        for name, plan_year, period in outcome.missing_reviews:
            self.stdout.write(f"  {name} {plan_year}年{period}计划：尚未导入对应的工作回顾")


def _bureau(name: str) -> Bureau:
    name = name.strip()
    try:
        return Bureau.objects.get(name=name)
    except Bureau.DoesNotExist:
        similar = list(Bureau.objects.filter(name__icontains=name[:4]).values_list("name", flat=True)[:5])
        hint = f"；相近的单位：{'、'.join(similar)}" if similar else "；用 import_reports 导入后会自动建立单位"
        raise CommandError(f"没有名为“{name}”的单位{hint}") from None
