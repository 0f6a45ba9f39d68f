"""The periodic jobs: django-celery-beat keeps them in the database, editable in the admin (定时任务)."""

from __future__ import annotations

from django.conf import settings

# The periodic jobs (django-celery-beat keeps them in the database, editable in the admin).
SCHEDULE = {
    "每夜全量重新匹配": {
        "task": "commitments.tasks.matching_nightly",
        "crontab": {"minute": "30", "hour": "2"},  # 30 2 * * *: every night at 02:30
        "expires": 23 * 3600,
    },
    "检查过期与中断的匹配": {
        "task": "commitments.tasks.matching_check",
        "interval_seconds": 600,  # every 10 minutes
        "expires": 9 * 60,
    },
}


def schedule_ensure() -> list[str]:
    """Create the periodic jobs that are missing; ones that exist (maybe edited by an admin) stay as they are.

    Returns the names created.
    """
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    created = []
    for name, entry in SCHEDULE.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        fields: dict[str, object] = {"name": name, "task": entry["task"], "expire_seconds": entry["expires"]}
        if "crontab" in entry:
            fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
                **entry["crontab"], day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
            )
        else:
            fields["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=entry["interval_seconds"], period=IntervalSchedule.SECONDS
            )
        PeriodicTask.objects.create(**fields)
        created.append(name)
    return created
