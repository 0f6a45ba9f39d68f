"""连续提出 on real reports: a district government's 2015 and 2016 plans, as published (GB18030)."""

from __future__ import annotations

import csv
import io

import pytest

from commitments.scorecards.carryover import carried_over, similar_pairs


def test_rewordings_link_and_unrelated_tasks_do_not():
    earlier = ["推动国有企业改革，探索发展混合所有制经济", "新建长者饭堂20个", "实施火车站规划三路等城区道路工程"]
    later = ["深化国有企业改革，积极发展混合所有制经济", "推进智慧民政平台建设"]
    assert similar_pairs(earlier, later) == [(0, 0)]
    assert similar_pairs([], later) == [] and similar_pairs(earlier, []) == []


def test_links_go_both_ways_and_skip_gaps_between_years():
    rows = [(1, 2020, "完成殡葬改革试点任务"), (2, 2021, "完成殡葬改革试点任务"), (3, 2023, "完成殡葬改革试点任务")]
    links = carried_over(rows)
    assert links[1] == {"again": [2021], "from": []}
    assert links[2] == {"again": [], "from": [2020]}
    assert 3 not in links  # 2022 had no plan: 2021 → 2023 is not "the next year"


@pytest.fixture
def hailar(db, devset_dir, settings, staff_user):
    from commitments.services.reports import report_import

    settings.MATCH_EMBEDDINGS = False  # only the plans matter here
    first = report_import(path=devset_dir / "hailar_2015.gbk.txt").report
    second = report_import(path=devset_dir / "hailar_2016.gbk.txt").report
    assert first.bureau == second.bureau
    return first.bureau


def test_real_plans_flag_what_the_next_plan_repeats(client, staff_user, hailar):
    client.force_login(staff_user)
    response = client.get(f"/scorecards/bureau/{hailar.pk}/?_export=csv&_table=commitments&year=2015")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    flags = {row["承诺"]: row["连续提出"] for row in rows}
    assert flags["推动国有企业改革，探索发展混合所有制经济"] == "2016年再次提出"
    assert flags["启动对俄航空货运业务，积极培育国际航线，拓展落地签证业务，做大跨境旅游"] == "2016年再次提出"
    assert flags["投资1亿元，启动实施黑羊站水厂改扩建工程"] == "2016年再次提出"
    # Only a share of the plan comes back, and a different task in the same field is not a repeat.
    flagged = sum(1 for flag in flags.values() if flag)
    assert 10 <= flagged <= len(flags) // 2
    assert flags["实施火车站规划三路、滨河路等城区道路工程，东西外环道路开工建设，有效改善城市交通拥堵状况"] == ""
    page = client.get(f"/scorecards/bureau/{hailar.pk}/?year=2015").content.decode()
    assert "2016年再次提出" in page
