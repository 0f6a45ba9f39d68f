"""Bureau detection: the author's own name, completed with its place, or None (never a guess)."""

import pytest

from commitments.engine.ingest.bureau import bureau_region, detect_bureau


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("000", None),
        ("001", "中山市民政局"),
        ("002", "潜江市民政局"),
        ("003", "兰陵县民政局"),
        ("004", None),
    ],
)
def test_it_finds_the_bureau_of_each_seed(seed, number, expected):
    assert detect_bureau(seed(number).read_text(encoding="utf-8")) == expected


def test_it_reads_a_district_government_from_a_gbk_report(devset_dir):
    text = (devset_dir / "hailar_2015.gbk.txt").read_bytes().decode("gb18030")
    assert detect_bureau(text) == "海拉尔区人民政府"


def test_it_trusts_the_page_label_first():
    text = "信息来源:安阳市教育局 发布日期:2022-01-29\n全市教育系统……市财政局配合……"
    assert detect_bureau(text) == "安阳市教育局"


def test_it_completes_a_bare_name_with_the_place_of_its_level():
    text = "县卫生健康委员会认真落实……全县卫生健康事业……凤台县医疗……凤台县居民……淮南市统筹"
    assert detect_bureau(text) == "凤台县卫生健康委员会"


def test_it_uses_the_title_before_the_body():
    text = "市民政局工作总结。全市……潜江市……潜江市……。省民政厅指导下，市财政局、市财政局支持"
    assert detect_bureau(text, title="潜江市民政局2020年工作总结") == "潜江市民政局"


def test_a_cited_document_is_not_the_author():
    text = "出台《兰陵县人民政府关于统筹完善社会救助体系的实施意见》，全县救助……"
    assert detect_bureau(text) is None


def test_it_does_not_take_common_words_for_bureaus_or_places():
    text = "服务发展大局，形成新格局，优化布局；局长在全市会议上讲话，全市社区居民委员会换届，市场监管"
    assert detect_bureau(text) is None


def test_it_gives_up_when_no_place_is_written():
    assert detect_bureau("县民政局认真践行民政为民理念，推动全县民政事业发展，XX县……") is None
    assert detect_bureau("") is None


def test_it_splits_a_name_into_place_and_level():
    assert bureau_region("兰陵县民政局") == ("兰陵县", "县")
    assert bureau_region("海拉尔区人民政府") == ("海拉尔区", "区")
    assert bureau_region("民政部") == ("", "")


BODY = "一、2021年工作回顾\n中山市教体局配合我局开展工作，中山市教体局牵头落实。\n二、2022年工作计划\n做好各项工作。\n"


@pytest.mark.parametrize(
    "signature",
    [
        "中山市民政局\n2022年1月29日",
        "中山市民政局 二〇二二年一月二十九日",
        "市民政局\n2022年1月29日\n",
        "中山市民政局\xa02022年1月29日",  # a no-break space, as Word writes one
    ],
)
def test_the_issuer_signing_the_document_is_its_author(signature):
    # Another bureau is named more often in the body; the signature above the date says who wrote it.
    assert detect_bureau(BODY + signature) == "中山市民政局"


def test_a_name_in_a_closing_sentence_is_no_signature():
    assert detect_bureau(BODY + "联系人：张三，中山市民政局\n2022年1月29日") == "中山市教体局"


def test_a_table_row_at_the_end_is_no_signature():
    assert detect_bureau(BODY + "牵头单位\t完成时限\n市住房和城乡建设局\t2023年12月") == "中山市教体局"
