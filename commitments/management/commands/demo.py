"""`manage.py demo`: roles, the demo account and the seed reports, in one idempotent step."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commitments.services.demo import demo_setup
from commitments.services.reports import ImportStatus

SCORECARDS_URL = "http://127.0.0.1:8000/scorecards/"
DEMO_URL = "http://127.0.0.1:8000/admin/"


class Command(BaseCommand):
    help = "准备演示：创建角色与演示账号，导入 shared/seeds 中的样例报告（可重复运行）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--seeds",
            type=Path,
            default=settings.BASE_DIR.parent / "shared" / "seeds",
            help="样例报告所在文件夹（默认：仓库旁的 shared/seeds）",
        )
        parser.add_argument(
            "--reviews",
            type=Path,
            default=settings.BASE_DIR.parent / "shared" / "devset",
            help="下一年度工作回顾所在文件夹：其中与样例同一单位的回顾一并导入，用于演示承诺匹配",
        )

    def handle(self, *args, seeds, reviews, **options):
        seeds = Path(seeds)
        if not seeds.is_dir():
            raise CommandError(f"找不到样例报告文件夹 {seeds}；请用 --seeds 指定")
        outcome = demo_setup(
            seeds_dir=seeds, reviews_dir=Path(reviews), on_file=lambda p: self.stdout.write(f"导入 {p.name} …")
        )
        for item in outcome.imports:
            where = f"{item.bureau_name}，{item.year or '年份未知'}，{item.sections} 个部分，{item.commitments} 条承诺"
            detail = where if item.status != "failed" else item.reason
            self.stdout.write(f"  {item.source}：{item.status_label}（{detail}）")
        failed = [item for item in outcome.imports if item.status == ImportStatus.FAILED]
        if failed and len(failed) == len(outcome.imports):
            raise CommandError("样例报告全部导入失败")
        self.stdout.write(
            self.style.SUCCESS(
                f"\n演示已就绪：{DEMO_URL}（计分卡：{SCORECARDS_URL}）\n账号 {outcome.username}，密码 {outcome.password}（分析员，非超级用户）"
            )
        )
