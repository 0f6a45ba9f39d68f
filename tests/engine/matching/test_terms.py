"""commitments.engine.matching.terms: content words, their rarity, and coverage matrices."""

from __future__ import annotations

import numpy as np
import pytest

from commitments.engine.matching.terms import (
    STOP_TERMS,
    Rarity,
    char_bigrams,
    char_ngrams,
    content_terms,
    coverage,
    overlap,
)


def test_content_terms_drop_stop_words_and_keep_domain_words():
    terms = content_terms("我们要进一步加强和完善全市养老服务体系建设")

    assert "养老服务" in terms
    assert not {"我们", "进一步", "加强", "完善", "全市", "体系", "建设"} & set(terms)
    assert not set(terms) & STOP_TERMS


def test_content_terms_keep_the_rare_words_that_decide_a_match():
    terms = content_terms("推动各级界桩周围地面硬底化、界桩旁警示(宣传)牌全覆盖")

    assert {"界桩", "硬底化"} <= set(terms)
    assert "推动" not in terms and "各级" not in terms


def test_content_terms_are_han_words_of_two_or_more_characters_in_order_without_repeats():
    terms = list(content_terms("适老化改造2000户，完成适老化改造 abc"))

    assert terms == list(dict.fromkeys(terms))
    assert all(len(t) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in t) for t in terms)
    assert terms and terms[0].startswith("适老化")


@pytest.mark.parametrize("text", ["", "2022 abc 123", "。，；！"], ids=["empty", "latin-and-digits", "punctuation"])
def test_content_terms_of_text_without_han_words_are_empty(text):
    assert list(content_terms(text)) == []
    assert list(char_bigrams(text)) == []


def test_char_bigrams_stay_inside_runs_of_han_characters():
    assert list(char_bigrams("养老床位，达到52%占比")) == ["养老", "老床", "床位", "达到", "占比"]


def test_rarity_weights_rare_terms_higher():
    rarity = Rarity([["养老", "救助"], ["救助"], ["救助", "殡葬"], ["救助", "养老"]])

    assert rarity.n == 4
    assert rarity.weight("殡葬") > rarity.weight("养老") > rarity.weight("救助")
    assert rarity.weight("从未出现") > rarity.weight("殡葬")
    assert rarity.weight("救助") == pytest.approx(1.0)  # in every clause: the floor


def test_rarity_counts_a_term_once_per_clause():
    assert Rarity([["养老", "养老", "养老"], ["救助"]]).df["养老"] == 1


QUERIES = [
    "开展长期滞留人员寻亲返乡攻坚行动",
    "修订《中山市养老服务机构资助办法》",
    "推动各级界桩周围地面硬底化",
]
TARGETS = [
    "开展长期滞留人员寻亲返乡攻坚行动",
    "修订印发《中山市养老服务机构资助办法》，加大对普惠性养老机构支持力度",
    "全市婚姻登记服务更加规范",
    "",
]


@pytest.fixture(scope="module")
def matrix() -> np.ndarray:
    queries = [content_terms(t) for t in QUERIES]
    targets = [content_terms(t) for t in TARGETS]
    return coverage(queries, targets, Rarity([*queries, *targets]))


def test_coverage_is_a_queries_by_targets_matrix_of_shares(matrix):
    assert matrix.shape == (len(QUERIES), len(TARGETS))
    assert np.all(matrix >= 0) and np.all(matrix <= 1 + 1e-6)


def test_coverage_of_identical_texts_is_one(matrix):
    assert matrix[0, 0] == pytest.approx(1.0)


def test_coverage_of_a_sentence_repeating_all_the_terms_is_one_and_of_an_unrelated_one_zero(matrix):
    assert matrix[1, 1] == pytest.approx(1.0)  # every term of the query is in the longer sentence
    assert matrix[0, 2] == 0 and matrix[2, 1] == 0
    assert np.all(matrix[:, 3] == 0)  # an empty target covers nothing


def test_coverage_ranks_the_right_sentence_first(matrix):
    assert list(matrix.argmax(axis=1)[:2]) == [0, 1]


def test_coverage_weighs_shared_terms_by_rarity():
    rarity = Rarity([["养老", "救助"], ["救助"], ["救助", "殡葬"], ["救助", "养老"]])
    shares = coverage([["救助", "殡葬"]], [["救助"], ["殡葬"]], rarity)

    assert shares[0, 1] > shares[0, 0]
    assert shares[0, 0] + shares[0, 1] == pytest.approx(1.0)


def test_coverage_of_empty_sides_has_the_right_shape():
    rarity = Rarity([["养老"]])

    assert coverage([], [["养老"]], rarity).shape == (0, 1)
    assert coverage([["养老"]], [], rarity).shape == (1, 0)
    assert coverage([[]], [["养老"]], rarity).tolist() == [[0.0]]


def test_char_ngrams_are_runs_of_han_characters_that_do_not_cross_punctuation():
    assert char_ngrams("平安海拉尔，建设", 4) == ("平安海拉", "安海拉尔")
    assert char_ngrams("三个字", 4) == ()


def test_overlap_sums_the_weights_of_shared_terms_whatever_the_query_length():
    short = [char_ngrams("实施平安海拉尔建设", 4)]
    long = [
        char_ngrams("继续实施平安海拉尔建设，完善专群结合、打防管控全方位、立体化的治安防控体系，切实维护社会稳定", 4)
    ]
    unit = [char_ngrams("大力实施平安海拉尔建设，社会治理水平稳步提升", 4)]

    shared_short = overlap(short, unit, lambda g: 1.0)
    shared_long = overlap(long, unit, lambda g: 1.0)
    assert shared_short.shape == (1, 1)
    assert shared_short[0, 0] == shared_long[0, 0] == 6.0  # 实施平安海拉尔建设: nine characters, six 4-grams
    assert overlap(short, [char_ngrams("全年婚姻登记一万对", 4)], lambda g: 1.0)[0, 0] == 0


def test_relative_rarity_is_one_for_a_term_seen_nowhere_and_less_for_common_ones():
    rarity = Rarity([["养老"], ["养老"], ["界桩"], []])

    assert rarity.relative("从未出现") == pytest.approx(1.0)
    assert rarity.relative("养老") < rarity.relative("界桩") < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "修订《中山市最低生活保障办法》，出台低收入家庭认定办法，建立动态调整机制",
        "全市养老机构床位达到1.2万张,护理型床位占比超过55%，实现镇街全覆盖",
        "推进“互联网+政务服务”，使更多事项在网上办理",
    ],
)
def test_content_terms_by_comma_pieces_equal_segmenting_the_whole_text(text):
    """Terms are segmented per comma piece (shared by overlapping passages); jieba never joins
    words across punctuation, so the result must equal segmenting the whole text at once."""
    import jieba

    from commitments.engine.matching.terms import HAN_RE

    whole = tuple(dict.fromkeys(w for w in jieba.cut(text) if len(w) >= 2 and HAN_RE.search(w) and w not in STOP_TERMS))

    assert content_terms(text) == whole


def test_quotation_marks_do_not_break_a_phrase():
    grams = set(char_ngrams("狠抓市委巡察“回头看”反馈问题整改落实"))

    assert {"巡察回头", "回头看反"} <= grams
    assert set(char_ngrams("对市委巡察“回头看”指出的问题")) & grams >= {"市委巡察", "委巡察回", "察回头看"}


def _expansions(short_side: str, other_side: str) -> dict:
    from commitments.engine.matching.terms import abbreviation_expansions

    return abbreviation_expansions([content_terms(short_side)], [other_side], [content_terms(other_side)])


@pytest.mark.parametrize(
    ("short_side", "other_side", "short", "words"),
    [
        pytest.param(
            "全市城乡低保标准提高到1180元", "落实最低生活保障标准调整机制", "低保", {"最低", "生活", "保障"}, id="dibao"
        ),
        pytest.param("启动新的三年棚改攻坚计划", "棚户区住房改造620多万套", "棚改", {"棚户区", "改造"}, id="penggai"),
        pytest.param("完成与广州市的界线联检", "共同组织行政区域界线联合检查", "联检", {"联合", "检查"}, id="lianjian"),
    ],
)
def test_an_abbreviation_stands_for_the_words_it_shortens(short_side, other_side, short, words):
    expansions = _expansions(short_side, other_side)

    assert words <= set(expansions[short])


@pytest.mark.parametrize(
    ("short_side", "other_side"),
    [
        pytest.param("推动中国制造转型", "中俄蒙国际物流园区", id="common-word"),
        pytest.param("推动产业提质增效", "提供优质公共服务", id="inside-words"),
        pytest.param("全市城乡低保标准提高", "城乡低保标准动态调整", id="same-word-already-there"),
    ],
)
def test_chance_spellings_are_not_abbreviations(short_side, other_side):
    assert _expansions(short_side, other_side) == {}


def test_an_abbreviation_is_not_spelled_across_punctuation():
    assert _expansions("全市城乡低保标准提高", "最低，保障标准") == {}


def test_abbreviations_of_empty_or_textless_input_are_none():
    from commitments.engine.matching.terms import abbreviation_expansions

    assert abbreviation_expansions([], [], []) == {}
    assert abbreviation_expansions([()], [""], [()]) == {}
    assert _expansions("低保", "") == {}
