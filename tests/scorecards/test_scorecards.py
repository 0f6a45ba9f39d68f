"""Scorecards: pages, filters, exports, permissions, and every figure checked against an independent count."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from openpyxl import load_workbook

from commitments.models import Assessment, Bureau, Commitment, Report, Section
from commitments.services.demo import roles_ensure
from tests.helpers import commitment_build

ANALYST, MACHINE = Assessment.Source.ANALYST, Assessment.Source.MACHINE
_counter = itertools.count()


def plan(bureau: Bureau, year: int, rows: list[tuple], *, topic: str = "养老服务"):
    """A plan of `year` with one commitment per (text, status, source[, vague]); status None = no review yet.
    Vague by default when the status is 无法核验."""
    text = f"{year}年工作计划\n" + "\n".join(row[0] for row in rows)
    report = Report.objects.create(
        bureau=bureau, title=f"{bureau.name}{year - 1}年工作总结", text=text, sha256=f"{next(_counter):064d}"
    )
    section = Section.objects.create(report=report, kind=Section.Kind.PLAN, year=year, start=0, end=len(text))
    made = []
    for order, (sentence, status, source, *flag) in enumerate(rows):
        commitment = commitment_build(
            section, order, sentence, topic=topic, vague=flag[0] if flag else status == "unverifiable"
        )
        commitment.save()
        if status:
            Assessment.objects.create(commitment=commitment, status=status, source=source, confidence=0.5)
        made.append(commitment)
    return made


@pytest.fixture
def bureaus(db):
    zs = Bureau.objects.create(name="中山市民政局", region="中山市", level="市")
    fin = Bureau.objects.create(name="中山市财政局", region="中山市", level="市")
    ll = Bureau.objects.create(name="兰陵县民政局", region="兰陵县", level="县")
    plan(
        zs,
        2022,
        [
            ("新建长者饭堂20个", "fulfilled", ANALYST),
            ("出台《中山市社会救助实施方案》", "fulfilled", MACHINE),
            ("推进养老护理员培训", "partial", MACHINE),
            ("完成殡葬改革试点", "not_fulfilled", ANALYST),
            ("建设智慧民政平台", "no_evidence", MACHINE),
            ("坚持以人民为中心", "unverifiable", MACHINE),
            ("全面加强党的建设", "fulfilled", MACHINE, True),
        ],
    )
    plan(
        zs,
        2023,
        [
            ("建设智慧民政信息平台", "fulfilled", MACHINE),
            ("新建社区养老服务中心10个", None, None),
        ],
        topic="智慧民政",
    )
    plan(fin, 2022, [("压减一般性支出5%", "partial", ANALYST), ("完善预算绩效管理", "fulfilled", ANALYST)])
    plan(ll, 2022, [("新建农村幸福院3家", "fulfilled", MACHINE)])
    return {"zs": zs, "fin": fin, "ll": ll}


@pytest.fixture
def viewer_client(client, bureaus, make_user):
    client.force_login(make_user("reader", "viewer", bureaus.values()))
    return client


def expected(commitments) -> dict:
    """The figures computed the slow, obvious way, from model instances."""
    statuses = [getattr(c, "assessment", None) for c in commitments]
    counts = {s: sum(1 for a in statuses if a and a.status == s) for s, _ in Assessment.STATUS_CHOICES}
    rated = [c.assessment.status for c in commitments if not c.vague and getattr(c, "assessment", None)]
    verifiable = sum(1 for status in rated if status in ("fulfilled", "partial", "not_fulfilled", "no_evidence"))
    assessed = sum(1 for a in statuses if a)
    confirmed = sum(1 for a in statuses if a and a.source == ANALYST)
    return {
        "commitments": len(commitments),
        **counts,
        "awaiting": len(commitments) - assessed,
        "vague": sum(1 for c in commitments if c.vague),
        "rate": (rated.count("fulfilled") + rated.count("partial") / 2) / verifiable if verifiable else None,
        "confirmed_share": confirmed / assessed if assessed else None,
    }


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_anonymous_is_sent_to_login(client, bureaus):
    for url in ("/scorecards/", f"/scorecards/bureau/{bureaus['zs'].pk}/", "/scorecards/compare/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_list_figures_equal_an_independent_count(viewer_client, bureaus):
    response = viewer_client.get("/scorecards/?_export=csv")
    rows = {(row["单位"], row["计划年份"]): row for row in csv_rows(response)}
    assert len(rows) == 4
    for bureau in bureaus.values():
        for year in (2022, 2023):
            commitments = list(Commitment.objects.filter(section__report__bureau=bureau, section__year=year))
            if not commitments:
                assert (bureau.name, str(year)) not in rows
                continue
            want, got = expected(commitments), rows[(bureau.name, str(year))]
            assert int(got["承诺数"]) == want["commitments"]
            for key, label in Assessment.STATUS_CHOICES:
                assert int(got[label]) == want[key], (bureau.name, year, label)
            assert int(got["待回顾"]) == want["awaiting"]
            assert int(got["其中表述笼统"]) == want["vague"]
            assert got["完成率"] == ("" if want["rate"] is None else str(round(want["rate"], 4)))
            share = want["confirmed_share"]
            assert got["分析员确认占比"] == ("" if share is None else str(round(share, 4)))


def test_rate_leaves_vague_and_awaiting_out(viewer_client, bureaus):
    rows = csv_rows(viewer_client.get("/scorecards/?_export=csv&year=2022&region=中山市&level=市"))
    zs = next(row for row in rows if row["单位"] == "中山市民政局")
    # 已完成 2 + ½·部分完成 1 over 5 verifiable: 0.5. The vague ones are out, the one the machine calls
    # 已完成 included: it shows among 已完成 (3) but not in the rate.
    assert zs["已完成"] == "3" and zs["其中表述笼统"] == "2"
    assert zs["完成率"] == "0.5"
    assert zs["完成率（仅已确认）"] == "0.5"  # confirmed: one fulfilled, one not fulfilled
    page = viewer_client.get("/scorecards/").content.decode()
    assert "都不计入完成率" in page


def test_machine_only_scorecard_is_provisional(viewer_client, bureaus):
    rows = {row["单位"]: row for row in csv_rows(viewer_client.get("/scorecards/?_export=csv&year=2022"))}
    assert rows["兰陵县民政局"]["依据"] == "暂定（仅机器建议）"
    assert rows["中山市财政局"]["依据"] == "全部经分析员确认"
    assert rows["中山市民政局"]["依据"] == "部分经分析员确认"
    page = viewer_client.get("/scorecards/?year=2022").content.decode()
    assert 'class="provisional"' in page


def test_filters_narrow_the_rows(viewer_client, bureaus):
    def names(query):
        return sorted(row["单位"] for row in csv_rows(viewer_client.get(f"/scorecards/?_export=csv&{query}")))

    assert names("region=兰陵县") == ["兰陵县民政局"]
    assert names("level=市&year=2023") == ["中山市民政局"]
    assert names("topic=智慧") == ["中山市民政局"]
    page = viewer_client.get("/scorecards/?region=兰陵县").content.decode()
    assert "兰陵县民政局" in page and "中山市财政局" not in page


def test_the_plain_list_shows_every_row(viewer_client, bureaus):
    """No query string at all: an unbound filter keeps everything (it once showed nothing)."""
    table = viewer_client.get("/scorecards/").context["table"]
    assert len(table.rows) == 4
    assert "中山市财政局" in viewer_client.get("/scorecards/").content.decode()


def test_list_is_sortable_and_paginated(viewer_client, bureaus):
    response = viewer_client.get("/scorecards/?sort=-rate")
    assert response.status_code == 200
    rows = list(response.context["table"].page.object_list)
    rates = [row.record["rate"] for row in rows if row.record["rate"] is not None]
    assert rates == sorted(rates, reverse=True)


def test_xlsx_export_parses_back(viewer_client, bureaus):
    response = viewer_client.get("/scorecards/?_export=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:5] == ["单位", "地区", "层级", "计划年份", "承诺数"]
    totals = {(row[0], row[3]): row[4] for row in rows}
    assert totals[("中山市民政局", 2022)] == 7
    assert totals[("中山市民政局", 2023)] == 2


def test_bureau_page_tables_and_trend(viewer_client, bureaus):
    zs = bureaus["zs"]
    response = viewer_client.get(f"/scorecards/bureau/{zs.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page and "2022年" in page and "2023年" in page
    years = {row["计划年份"]: row for row in csv_rows(viewer_client.get(f"/scorecards/bureau/{zs.pk}/?_export=csv"))}
    assert set(years) == {"2022", "2023"}
    assert years["2023"]["待回顾"] == "1"
    topics = csv_rows(viewer_client.get(f"/scorecards/bureau/{zs.pk}/?_export=csv&_table=topics&year=2023"))
    assert [(row["主题（一级标题）"], row["承诺数"]) for row in topics] == [("智慧民政", "2")]
    listed = csv_rows(viewer_client.get(f"/scorecards/bureau/{zs.pk}/?_export=csv&_table=commitments"))
    assert len(listed) == Commitment.objects.filter(section__report__bureau=zs).count()
    assert {row["状态"] for row in listed} >= {"已完成", "待回顾", "无法核验"}


def test_carried_over_commitment_is_flagged_both_ways(viewer_client, bureaus):
    zs = bureaus["zs"]
    listed = csv_rows(viewer_client.get(f"/scorecards/bureau/{zs.pk}/?_export=csv&_table=commitments"))
    flags = {row["承诺"]: row["连续提出"] for row in listed}
    assert flags["建设智慧民政平台"] == "2023年再次提出"
    assert flags["建设智慧民政信息平台"] == "承接2022年计划"
    assert flags["新建长者饭堂20个"] == ""


def test_compare_shows_one_region_and_year(viewer_client, bureaus):
    response = viewer_client.get("/scorecards/compare/?region=中山市&year=2022")
    page = response.content.decode()
    assert "中山市财政局" in page and "中山市民政局" in page and "兰陵县民政局" not in page
    rows = csv_rows(viewer_client.get("/scorecards/compare/?region=中山市&year=2022&_export=csv"))
    assert [row["单位"] for row in rows] == ["中山市财政局", "中山市民政局"]  # best rate first
    assert viewer_client.get("/scorecards/compare/").status_code == 200


def test_print_page_is_unpaginated(viewer_client, bureaus):
    response = viewer_client.get(f"/scorecards/bureau/{bureaus['zs'].pk}/?print=1")
    assert response.status_code == 200
    assert not hasattr(response.context["tables"]["commitments"], "page")
    assert "@media print" in response.content.decode()


def test_unknown_export_format_is_refused(viewer_client, bureaus):
    assert viewer_client.get("/scorecards/?_export=pdf").status_code == 404
    assert viewer_client.get(f"/scorecards/bureau/{bureaus['zs'].pk}/?_export=csv&_table=nope").status_code == 404


def test_user_sees_only_assigned_bureaus(client, bureaus, make_user):
    client.force_login(make_user("ll-reader", "viewer", [bureaus["ll"]]))
    rows = csv_rows(client.get("/scorecards/?_export=csv"))
    assert {row["单位"] for row in rows} == {"兰陵县民政局"}
    assert client.get(f"/scorecards/bureau/{bureaus['zs'].pk}/").status_code == 404
    compare = csv_rows(client.get("/scorecards/compare/?region=中山市&year=2022&_export=csv"))
    assert compare == []


def test_user_without_role_sees_nothing(client, bureaus):
    roles_ensure()
    user = get_user_model().objects.create_user(username="nobody", password="x")
    client.force_login(user)
    assert csv_rows(client.get("/scorecards/?_export=csv")) == []


def test_pages_are_read_only(viewer_client, bureaus):
    assert viewer_client.post("/scorecards/").status_code == 405


def test_names_are_escaped_in_tables_and_chart(client, make_user):
    bureau = Bureau.objects.create(name="<script>alert(1)</script>局", region="<b>区</b>")
    plan(bureau, 2022, [("<img src=x onerror=alert(1)>建设平台", "fulfilled", MACHINE)], topic="<i>主题</i>")
    client.force_login(make_user("x", "viewer", [bureau]))
    for url in ("/scorecards/", f"/scorecards/bureau/{bureau.pk}/", "/scorecards/compare/?region=<b>区</b>&year=2022"):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page and "<i>主题" not in page
        assert "&lt;" in page


def test_query_count_does_not_grow_with_rows(viewer_client, bureaus, django_assert_max_num_queries):
    """Bounded whether or not the tallies need a recount (7 queries of it, however many bureaus are stale);
    one more looks for matching runs an interrupted process left (the embedded default finishes them)."""
    zs = bureaus["zs"]
    with django_assert_max_num_queries(18):
        viewer_client.get("/scorecards/")
    with django_assert_max_num_queries(14):
        viewer_client.get("/scorecards/")
    with django_assert_max_num_queries(16):
        viewer_client.get(f"/scorecards/bureau/{zs.pk}/")
    for year in range(2015, 2021):
        plan(zs, year, [(f"任务{i}推进落实", "fulfilled", MACHINE) for i in range(30)])
        plan(bureaus["ll"], year, [(f"任务{i}", "partial", ANALYST) for i in range(30)])
    with django_assert_max_num_queries(21):
        viewer_client.get(f"/scorecards/bureau/{zs.pk}/")
    with django_assert_max_num_queries(14):
        viewer_client.get("/scorecards/")
    with django_assert_max_num_queries(16):
        viewer_client.get(f"/scorecards/bureau/{zs.pk}/")


def live_rows(user) -> list[dict]:
    from commitments.scorecards.figures import commitments_visible, scorecard_rows
    from commitments.selectors.access import bureau_ids_for_user

    return sorted(
        scorecard_rows(commitments_visible(bureau_ids_for_user(user))),
        key=lambda row: (row["bureau_id"], row["year"] or 0),
    )


def tallied_rows(user) -> list[dict]:
    from commitments.scorecards.figures import tally_rows
    from commitments.scorecards.tally import tallies_refresh
    from commitments.selectors.access import bureau_ids_for_user

    tallies_refresh()
    return sorted(
        tally_rows(bureau_ids=bureau_ids_for_user(user)), key=lambda row: (row["bureau_id"], row["year"] or 0)
    )


def test_tallies_follow_every_kind_of_write(bureaus, staff_user):
    from commitments.services.assessments import assessment_decide

    assert tallied_rows(staff_user) == live_rows(staff_user)
    # An analyst's decision, through the service.
    assessment = Assessment.objects.get(commitment__text="建设智慧民政平台")
    assessment_decide(
        assessment=assessment,
        user=staff_user,
        expected_version=assessment.version,
        status="fulfilled",
        evidence_text="建成智慧民政平台",
        note="",
    )
    assert tallied_rows(staff_user) == live_rows(staff_user)
    # A machine proposal withdrawn, a commitment dropped, a section's year corrected.
    Assessment.objects.get(commitment__text="新建农村幸福院3家").delete()
    Commitment.objects.get(text="推进养老护理员培训").delete()
    section = Section.objects.get(report__bureau=bureaus["fin"])
    section.year = 2024
    section.save()
    assert tallied_rows(staff_user) == live_rows(staff_user)
    # A report moved to another bureau, then a report deleted with everything under it.
    report = Report.objects.get(bureau=bureaus["ll"])
    report.bureau = bureaus["fin"]
    report.save()
    assert tallied_rows(staff_user) == live_rows(staff_user)
    report.delete()
    rows = tallied_rows(staff_user)
    assert rows == live_rows(staff_user)
    assert {row["bureau_name"] for row in rows} == {"中山市民政局", "中山市财政局"}


def test_the_admin_index_links_the_scorecards(staff_client):
    assert reverse("scorecard_list") in staff_client.get(reverse("admin:index")).content.decode()
