"""Speed of the admin's list and change pages with one huge report present. Prints figures; asserts nothing.

    SQLITE_PATH=/tmp/bench-pages.sqlite3 .venv/bin/python benchmarks/report_pages.py [--chars 19000000] [--repeat 7]

A hostile tester imported a 19 MB text report (6.8 M characters, 2,223 sections, 21,107 commitments); then
the report list and its change page took over 120 s, because the list grouped by every report column, the
text included. Here a report of `--chars` characters with that many sections and commitments (each with a
machine assessment) is written with bulk inserts into the database the settings name (use a throw-away one:
the script deletes every report), beside a small ordinary report, and each page is requested `--repeat`
times as a superuser after one warm-up: median and p90 in ms, SQL queries, and the page's size.

Issue 17's bar: every page under a second with the 19 MB report present.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")

SENTENCE = "推进社区养老服务中心建设，新建长者饭堂12个，覆盖率达到95%。"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=6_800_000, help="characters of the huge report's text")
    parser.add_argument("--sections", type=int, default=2_223)
    parser.add_argument("--commitments", type=int, default=21_107)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    print(f"database: {settings.DATABASES['default']['ENGINE']} {settings.DATABASES['default'].get('NAME')}")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    huge = generate(args.chars, args.sections, args.commitments)
    print(f"generated a report of {args.chars:,} characters in {time.perf_counter() - started:.1f} s")
    measure(huge, args.repeat)


def generate(chars: int, sections: int, commitments: int):
    from django.db import transaction

    from commitments.models import Assessment, Bureau, Commitment, Report, Section

    text = (SENTENCE * (chars // len(SENTENCE) + 1))[:chars]
    with transaction.atomic():
        Assessment.objects.all().delete()
        Commitment.objects.all().delete()
        Section.objects.all().delete()
        Report.objects.all().delete()
        bureau, _ = Bureau.objects.get_or_create(name="兰陵县民政局")
        small = Report.objects.create(bureau=bureau, title="小报告", text=SENTENCE * 100, sha256="s" * 64)
        huge = Report.objects.create(bureau=bureau, title="超大报告", text=text, sha256="h" * 64)
        step = max(1, chars // sections)
        rows = Section.objects.bulk_create(
            Section(report=huge, order=i, kind=Section.Kind.PLAN, year=2022, start=i * step, end=(i + 1) * step)
            for i in range(sections)
        )
        Section.objects.create(report=small, order=0, kind=Section.Kind.PLAN, year=2021, start=0, end=100)
        made = Commitment.objects.bulk_create(
            Commitment(section=rows[i % sections], order=i, text=SENTENCE, start=0, end=len(SENTENCE))
            for i in range(commitments)
        )
        Assessment.objects.bulk_create(
            Assessment(commitment=c, status="partial", confidence=0.5, reason="部分") for c in made
        )
    return huge


def measure(huge, repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    section = huge.sections.order_by("order").first()
    pages = {
        "report list": "/admin/commitments/report/",
        "report change page": f"/admin/commitments/report/{huge.pk}/change/",
        "section list": "/admin/commitments/section/",
        "section change page": f"/admin/commitments/section/{section.pk}/change/",
        "commitment list": "/admin/commitments/commitment/",
        "assessment list": "/admin/commitments/assessment/",
        "bureau list": "/admin/commitments/bureau/",
        "review queue": "/admin/review/",
        "scorecards": "/scorecards/",
    }
    print(f"{'page':24} {'median ms':>10} {'p90 ms':>8} {'queries':>8} {'KB':>8}")
    for name, url in pages.items():
        client.get(url)  # warm-up (the scorecards recount here)
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        size = len(response.content) / 1024
        print(f"{name:24} {statistics.median(times):10.0f} {p90:8.0f} {len(queries):8d} {size:8.0f}")
    print(f"load average: {os.getloadavg()[0]:.2f} (other processes change these figures)")


if __name__ == "__main__":
    main()
