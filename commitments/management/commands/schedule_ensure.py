"""`manage.py schedule_ensure`: create the periodic jobs (nightly re-match, check every 10 minutes) if missing."""

from django.core.management.base import BaseCommand

from commitments.jobs.schedule import SCHEDULE, schedule_ensure


class Command(BaseCommand):
    help = "建立定时任务（每夜全量重新匹配、每 10 分钟检查过期与中断的匹配）；已存在的保持不变，可在管理后台修改"

    def handle(self, *args, **options):
        created = schedule_ensure()
        for name in SCHEDULE:
            self.stdout.write(f"{name}：{'已建立' if name in created else '已存在，未改动'}")
