"""Quantitative targets and Chinese numerals."""

import pytest

from commitments.engine.nlp.numbers import cn_to_number
from commitments.engine.nlp.targets import parse_targets


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("五十", 50),
        ("两千", 2000),
        ("三十万", 300000),
        ("十二", 12),
        ("一百零五", 105),
        ("一点五", 1.5),
        ("一亿二千万", 1.2e8),
    ],
)
def test_chinese_numerals(text, value):
    assert cn_to_number(text) == value


def test_it_is_not_a_numeral():
    assert cn_to_number("社区") is None


def summary(text):
    return [(t.value, t.unit, t.comparator, t.value_high) for t in parse_targets(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("护理型床位占比超过50%", [(50, "%", ">", None)]),
        ("工作站100%全覆盖", [(100, "%", "=", None)]),
        ("新建社区养老服务站292个", [(292, "个", "=", None)]),
        ("15分钟居家养老服务圈基本建成", [(15, "分钟", "=", None)]),
        ("国内生产总值增长6.5%左右", [(6.5, "%", "~", None)]),
        ("城镇新增就业1100万人以上", [(1.1e7, "人", ">=", None)]),
        ("城镇调查失业率5.5%以内", [(5.5, "%", "<=", None)]),
        ("覆盖率达到百分之五十", [(50, "%", ">=", None)]),
        ("培训两千人次", [(2000, "人次", "=", None)]),
        ("增长5%-6%", [(5, "%", "range", 6)]),
        ("财政赤字2.38万亿元", [(2.38e12, "元", "=", None)]),
        ("推动枢纽型社区社会组织全覆盖", [(100, "%", "=", None)]),
        ("新建改建高速公路6000多公里", [(6000, "公里", ">", None)]),
        ("农村公路30多万公里", [(3e5, "公里", ">", None)]),
        ("帮扶200余家企业", [(200, "家", ">", None)]),
        ("减轻非税负担3000多亿元", [(3e11, "元", ">", None)]),
    ],
)
def test_targets(text, expected):
    assert summary(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "做到“两个维护”，增强“四个意识”",
        "做好第十个6·19全国救助管理机构“开放日”活动",
        "2022年底前完成",
        "三大帮扶平台",
        "2000多年的历史",
    ],
)
def test_slogans_dates_and_ordinals_are_not_targets(text):
    assert parse_targets(text) == []
