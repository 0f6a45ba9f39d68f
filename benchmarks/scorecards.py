"""Speed of the scorecard pages over a large generated database. Prints figures; asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:55439/bench .venv/bin/python benchmarks/scorecards.py \
        [--bureaus 500] [--years 5] [--per-year 100] [--repeat 15]

The database named by DATABASE_URL is migrated and, unless it already holds exactly this data set, emptied
of commitments and filled with `--bureaus` × `--years` × `--per-year` commitments (250k by default), each
with an assessment (status drawn with fixed weights, a quarter confirmed by analysts, a tenth of the latest
year still awaiting its review), generated with a fixed random seed and bulk inserts. Use a throw-away
database: the script deletes reports. Then each page is requested `--repeat` times through Django's test
client as a superuser (who sees every bureau), after one warm-up request, and the median, p90 and the
number of SQL queries per request are printed. Before that, the time to recount every bureau's tally
(commitments/tally.py) from scratch is printed: what the first page view pays after a mass import.

Issue 6's target: the list and a bureau page in under 300 ms median, with a bounded number of queries.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")

SEED = 6
FIRST_YEAR = 2019
STATUSES = ["fulfilled"] * 45 + ["partial"] * 25 + ["not_fulfilled"] * 5 + ["no_evidence"] * 20 + ["unverifiable"] * 5
REGIONS = ["中山市", "兰陵县", "潜江市", "海拉尔区", "广州市", "临沂市", "呼伦贝尔市", "佛山市", "东莞市", "珠海市"]
PHRASES = [
    "新建长者饭堂{n}个",
    "推进社区养老服务中心建设，覆盖率达到{n}%",
    "完善最低生活保障标准动态调整机制",
    "出台《社会救助实施办法》第{n}号文件",
    "开展殡葬领域突出问题专项整治",
    "实施困境儿童关爱保护行动，建成儿童之家{n}个",
    "推进智慧民政平台建设，数据共享率达到{n}%",
    "加强社会组织登记管理，培育社区社会组织{n}家",
]
TOPICS = ["完善大救助体系", "加快养老服务发展", "推进慈善事业", "加强基层治理", "提升儿童福利保障水平"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bureaus", type=int, default=500)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--per-year", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    engine = settings.DATABASES["default"]["ENGINE"]
    print(f"database: {engine} {settings.DATABASES['default'].get('NAME')}")
    call_command("migrate", verbosity=0)
    total = args.bureaus * args.years * args.per_year
    started = time.perf_counter()
    if generate(args.bureaus, args.years, args.per_year):
        print(f"generated {total} commitments in {time.perf_counter() - started:.1f} s")
    else:
        print(f"reusing the {total} commitments already generated")
    from commitments.models import Bureau
    from commitments.scorecards.tally import tallies_refresh

    Bureau.objects.update(scorecard_stale=True)
    started = time.perf_counter()
    recounted = tallies_refresh()
    print(f"recount of all tallies ({recounted} bureaus): {time.perf_counter() - started:.2f} s")
    measure(args)


def generate(bureaus: int, years: int, per_year: int) -> bool:
    from django.db import connection, transaction

    from commitments.models import Assessment, Bureau, Commitment, Report, Section
    from tests.helpers import commitment_build

    marker = f"bench-{bureaus}x{years}x{per_year}"
    if Report.objects.filter(source=marker).count() == bureaus * years and Commitment.objects.count() == (
        bureaus * years * per_year
    ):
        return False
    rng = random.Random(SEED)
    with transaction.atomic():
        Report.objects.all().delete()
        Bureau.objects.all().delete()
        made = Bureau.objects.bulk_create(
            Bureau(name=f"{REGIONS[i % len(REGIONS)]}第{i}局", region=REGIONS[i % len(REGIONS)], level="市")
            for i in range(bureaus)
        )
        reports = Report.objects.bulk_create(
            Report(
                bureau=bureau,
                title=f"{bureau.name}{FIRST_YEAR + y - 1}年工作总结",
                source=marker,
                text="（基准测试生成）",
                sha256=f"{bureau.pk:032d}{y:032d}",
                year=FIRST_YEAR + y - 1,
            )
            for bureau in made
            for y in range(years)
        )
        sections = Section.objects.bulk_create(
            Section(report=report, kind=Section.Kind.PLAN, year=report.year + 1, start=0, end=1) for report in reports
        )
        last_year = FIRST_YEAR + years - 1  # plan years run FIRST_YEAR … last_year
        batch: list[Commitment] = []
        statuses: list[tuple[str, str] | None] = []
        for section in sections:
            for order in range(per_year):
                topic = TOPICS[order % len(TOPICS)]
                text = rng.choice(PHRASES).format(n=rng.randint(2, 90))
                vague = rng.random() < 0.05
                batch.append(commitment_build(section, order, text, topic=topic, vague=vague))
                if section.year == last_year and rng.random() < 0.1:
                    statuses.append(None)
                else:
                    status = "unverifiable" if vague else rng.choice(STATUSES)
                    statuses.append((status, "analyst" if rng.random() < 0.25 else "machine"))
            if len(batch) >= 20_000:
                _flush(batch, statuses, Commitment, Assessment)
        _flush(batch, statuses, Commitment, Assessment)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return True


def _flush(batch, statuses, commitment_model, assessment_model) -> None:
    made = commitment_model.objects.bulk_create(batch)
    assessment_model.objects.bulk_create(
        assessment_model(commitment=commitment, status=status, source=source, confidence=0.5)
        for commitment, pair in zip(made, statuses, strict=True)
        if pair
        for status, source in [pair]
    )
    batch.clear()
    statuses.clear()


def measure(args) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from commitments.models import Bureau

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    bureau = Bureau.objects.order_by("pk")[args.bureaus // 2]
    region = bureau.region
    last_plan_year = FIRST_YEAR + args.years - 1
    pages = {
        "list (page 1)": "/scorecards/",
        "list sorted by rate, page 3": "/scorecards/?sort=-rate&page=3",
        "list filtered (region + year)": f"/scorecards/?region={region}&year={last_plan_year}",
        "bureau page": f"/scorecards/bureau/{bureau.pk}/",
        "bureau page, one year": f"/scorecards/bureau/{bureau.pk}/?year={last_plan_year}",
        "compare (region, year)": f"/scorecards/compare/?region={region}&year={last_plan_year}",
        "list export CSV (all rows)": "/scorecards/?_export=csv",
    }
    print(f"{'page':34} {'median ms':>10} {'p90 ms':>8} {'queries':>8}")
    for name, url in pages.items():
        client.get(url)  # warm-up
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        print(f"{name:34} {statistics.median(times):10.0f} {p90:8.0f} {len(queries):8d}")
    print(f"load average: {os.getloadavg()[0]:.2f} (other processes change these figures)")


if __name__ == "__main__":
    main()
