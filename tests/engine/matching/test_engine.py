"""The matching engine as a whole: explainable scores, the lexical path alone, the start/done trap,
and a regression floor on the devset figures (the issue's bar is higher; see README)."""

from __future__ import annotations

import math

import pytest

from commitments.engine.analyse import analyse_text
from commitments.engine.evaluation import evaluate_gold_file, macro_f1
from commitments.engine.matching.engine import match_commitments, prepare_pair, review_sections_for
from commitments.engine.matching.learned import NEGLIGIBLE, current_model
from commitments.engine.matching.peers import PEERS
from commitments.engine.types import PART_LABELS
from tests.paths import DEVSET

PLAN = "2022年工作计划\n一、养老服务。完成《中山市养老服务发展规划》编写。新建社区养老服务站20个。\n"


def run(review_body: str, *, use_embeddings: bool = True):
    review = f"2022年工作总结\n{review_body}\n"
    commitments = analyse_text(PLAN, year=2022).commitments
    sections = analyse_text(review, year=2023).sections
    chosen = [sections[i] for i in review_sections_for(sections, year=2022)]
    return commitments, match_commitments(
        commitments, review, chosen, corpus=[PLAN, review], use_embeddings=use_embeddings
    )


def test_every_score_is_the_evidence_models_probability_from_its_named_contributions():
    """The bars an analyst reads add up to the score: log-odds contributions plus the model's base."""
    _, results = run("全年新建社区养老服务站22个，覆盖全部镇街。完成《中山市养老服务发展规划》编写并印发实施。")
    evidence_model = current_model().variant(True).evidence
    for result in results:
        assert 1 <= len(result.evidence) <= 3
        scores = [e.score for e in result.evidence]
        assert scores == sorted(scores, reverse=True)
        for evidence in result.evidence:
            assert set(evidence.parts) <= set(PART_LABELS)
            log_odds = math.log(evidence.score / (1 - evidence.score))
            left_out = NEGLIGIBLE * (len(PART_LABELS) - len(evidence.parts))  # bars too small to draw
            assert abs(log_odds - evidence_model.intercept - sum(evidence.parts.values())) <= left_out + 1e-6


def test_the_lexical_path_works_alone():
    _, results = run("全年新建社区养老服务站22个。完成《中山市养老服务发展规划》编写并印发实施。", use_embeddings=False)
    assert all("semantic" not in e.parts for r in results for e in r.evidence)
    assert [r.status for r in results] == ["fulfilled", "fulfilled"]
    assert "22个" in results[1].reason


def test_a_programme_started_is_not_a_programme_done():
    """The trap measured here: embeddings rank "启动了《X》编写工作" above "完成《X》编写"."""
    _, started_only = run("启动了《中山市养老服务发展规划》编写工作。")
    assert started_only[0].status == "partial"
    _, both = run("启动了《中山市养老服务发展规划》编写工作。年底完成《中山市养老服务发展规划》编写并印发。")
    assert both[0].status == "fulfilled"
    assert "完成《中山市养老服务发展规划》编写" in both[0].evidence[0].text


def test_a_silent_review_gives_no_evidence_not_failure():
    _, results = run("全年婚姻登记12000对。开展殡葬领域专项整治。")
    assert [r.status for r in results] == ["no_evidence", "no_evidence"]
    assert all("未找到" in r.reason for r in results)


def test_a_shared_rare_phrase_finds_the_report_of_a_long_commitment():
    """A long commitment shares a small share of its words with the sentence reporting it; the
    shared run 实施平安海拉尔建设 is what says it is the one (the phrase part)."""
    plan = "2015年工作计划\n一、社会治理。继续实施平安海拉尔建设，完善专群结合、打防管控全方位、立体化的治安防控体系，切实维护社会稳定。\n"
    review = (
        "2015年工作回顾\n大力实施平安海拉尔建设，社会治理水平稳步提升。"
        "完善社区服务体系，维护社区和谐稳定，社区防控能力全方位增强。\n"
    )
    commitments = analyse_text(plan, year=2015).commitments
    sections = analyse_text(review, year=2016).sections
    chosen = [sections[i] for i in review_sections_for(sections, year=2015)]
    [result] = match_commitments(commitments, review, chosen, corpus=[plan, review], use_embeddings=False)

    assert result.evidence[0].text.startswith("大力实施平安海拉尔建设")
    assert result.evidence[0].parts["phrase"] > result.evidence[1].parts["phrase"]
    assert result.status != "no_evidence"


@pytest.mark.parametrize("peer", sorted(PEERS))
def test_the_simple_peers_run_on_the_same_input(peer):
    commitments = analyse_text(PLAN, year=2022).commitments
    review = "2022年工作总结\n全年新建社区养老服务站22个。\n"
    sections = analyse_text(review, year=2023).sections
    results = PEERS[peer](commitments, review, sections)
    assert len(results) == len(commitments)
    assert {r.status for r in results} <= {"fulfilled", "no_evidence"}


# Per real pair (the most important: no one wrote them for this set), macro-F1 floors.
REAL_PAIR_F1_FLOOR = {"statecouncil_2018.gold.json": 0.59, "hailar_2015.gold.json": 0.57}


def test_devset_figures_do_not_fall_below_the_measured_floor():
    """A regression guard a little under what the shipped model reaches on the devset's files (micro
    P@1 .862, R@3 .944, status accuracy .727, macro-F1 .697). The model was fitted on these files, so
    these are in-sample figures: a guard against breaking the engine, never figures to quote (those
    are `evaluate --cv`'s, in README)."""
    pairs, hits1, hits3, total = [], 0, 0, 0
    for path in sorted(DEVSET.glob("*.gold.json")):
        score = evaluate_gold_file(path)
        if score.matching is None:
            continue
        pairs += score.matching.status_pairs
        hits1 += score.matching.hits_at_1
        hits3 += score.matching.hits_at_3
        total += score.matching.evidence_total
        if path.name in REAL_PAIR_F1_FLOOR:
            assert score.matching.status_macro_f1 >= REAL_PAIR_F1_FLOOR[path.name], path.name
    accuracy = sum(g == s for g, s in pairs) / len(pairs)
    assert hits1 / total >= 0.84
    assert hits3 / total >= 0.92
    assert accuracy >= 0.70
    assert macro_f1(pairs) >= 0.67


def test_the_problems_part_after_a_review_belongs_to_that_review():
    text = "一、2022年工作总结\n完成低保扩围。\n二、存在的问题\n村委会职责任务清单尚未制定出台。\n三、2023年工作计划\n推进养老。\n"
    sections = analyse_text(text, year=2023).sections
    chosen = [sections[i].heading for i in review_sections_for(sections, year=2022)]
    assert chosen == ["一、2022年工作总结", "二、存在的问题"]
    assert review_sections_for(sections, year=2021) == []


def test_matching_in_a_forked_child_does_not_wait_on_the_parents_embedding_thread():
    """Celery's prefork workers fork after the parent may have matched once."""
    import multiprocessing

    from commitments.engine.matching import parts

    parts.background().submit(lambda: None).result()  # the parent now has a live thread
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        result = pool.apply_async(_submit_in_child)
        assert result.get(timeout=60) == 42


def _submit_in_child():
    from commitments.engine.matching import parts

    return parts.background().submit(lambda: 42).result(timeout=30)


def test_an_abbreviation_in_the_review_finds_the_plan_phrase_it_shortens():
    from commitments.engine.types import CommitmentSpan, SectionSpan

    commitment = CommitmentSpan(text="落实最低生活保障标准调整机制", start=0, end=14, section_index=0)
    review = "一、2022年工作总结\n特困人员基本生活标准随之调整。全市城乡低保标准由每人每月1120元提高到1180元。"
    sections = [
        SectionSpan(kind="review", year=2022, period="", heading="一、2022年工作总结", start=0, end=len(review))
    ]

    (result,) = match_commitments([commitment], review, sections, use_embeddings=False)

    assert "低保" in result.evidence[0].text
    assert "低保" in result.evidence[0].shared_terms  # highlighted for the analyst


def test_a_sub_action_is_judged_by_the_clause_that_reports_it_not_by_its_neighbours():
    from commitments.engine.types import CommitmentSpan, SectionSpan

    text = "集中对胜利大街等7条主干道路进行综合改造，进一步完善城市功能，提升城市形象"
    commitment = CommitmentSpan(text=text, start=0, end=len(text), section_index=0)
    review = (
        "一、2022年工作总结\n胜利大街等7条主干道路综合改造全部完工。"
        "旅游景区基础设施和城市功能日益完善，纪念园二期工程启动实施。城市形象和品位显著提升。"
    )
    sections = [
        SectionSpan(kind="review", year=2022, period="", heading="一、2022年工作总结", start=0, end=len(review))
    ]

    (result,) = match_commitments([commitment], review, sections, use_embeddings=False)

    assert result.status == "fulfilled", result.reason  # 启动 is about the 纪念园, not the city's functions


def test_a_figure_about_something_else_earns_no_target_part():
    from commitments.engine.nlp.targets import parse_targets
    from commitments.engine.types import CommitmentSpan, SectionSpan

    text = "降低电网环节收费，一般工商业电价平均降低10%"
    commitment = CommitmentSpan(text=text, start=0, end=len(text), section_index=0, targets=tuple(parse_targets(text)))
    review = (
        "一、2022年工作总结\n服务业对经济增长贡献率接近60%，高技术产业增速明显快于一般工业。一般工商业电价平均降低10%。"
    )
    sections = [
        SectionSpan(kind="review", year=2022, period="", heading="一、2022年工作总结", start=0, end=len(review))
    ]

    scores = prepare_pair([commitment], review, sections, use_embeddings=False)
    (result,) = match_commitments([commitment], review, sections, use_embeddings=False)

    target = {unit.text: scores.parts["target"][0, j] for j, unit in enumerate(scores.units)}
    assert target["一般工商业电价平均降低10%"] == 1
    assert target["服务业对经济增长贡献率接近60%，高技术产业增速明显快于一般工业"] == 0
    assert result.evidence[0].text == "一般工商业电价平均降低10%"
