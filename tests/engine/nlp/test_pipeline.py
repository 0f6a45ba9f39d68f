"""The spaCy pipeline, part by part, on small hand-made texts (no downloaded model anywhere)."""

import tempfile
from pathlib import Path

import pytest

from commitments.engine.nlp.components.structure import analyse_layout
from commitments.engine.nlp.extract import extract_commitments
from commitments.engine.nlp.pipeline import build_pipeline, get_pipeline
from commitments.engine.types import SectionSpan


@pytest.fixture(scope="module")
def nlp():
    return get_pipeline()


def commitments_of(nlp, text):
    doc = nlp(text)
    return [(doc.text[s._.char_start : s._.char_end], s._.topic_path, s._.vague) for s in doc.spans["commitments"]]


def test_pipeline_is_blank_chinese_with_jieba_and_our_components():
    nlp = build_pipeline()
    assert nlp.lang == "zh"
    assert nlp.tokenizer.segmenter == "jieba"
    assert nlp.pipe_names == [
        "report_structure",
        "clause_sentencizer",
        "commitment_detector",
        "commitment_attributes",
        "vagueness",
    ]


def test_policy_terms_stay_whole_in_the_tokenizer(nlp):
    words = [t.text for t in nlp.make_doc("实现社会工作站全覆盖，护理型床位占比超过50%")]
    assert "全覆盖" in words
    assert "护理型" in words


def test_sentencizer_splits_on_semicolons_but_never_on_commas(nlp):
    doc = nlp("完善基层民主自治体制,制定村委会职责任务清单；创新社区治理模式,完成招聘。开展专项行动。")
    assert [s.text.strip() for s in doc.sents] == [
        "完善基层民主自治体制,制定村委会职责任务清单；",
        "创新社区治理模式,完成招聘。",
        "开展专项行动。",
    ]


def test_structure_finds_headings_and_repairs_wrapped_lines_with_page_numbers():
    text = "（一）社会救助工作\n" + "推进低保扩围工作，切实保障困难群众基本生活，" * 3 + "扎实推进\n16、城乡救助。\n"
    starts, headings, skipped = analyse_layout(text)
    assert [(h.level, h.title) for h in headings] == [(2, "社会救助工作")]
    assert len(starts) == 2  # the wrapped line continues the paragraph
    assert [text[a:b] for a, b in skipped] == ["16、"]


def test_headings_and_lead_clauses_become_topics_not_commitments(nlp):
    text = (
        "一、完善大救助体系,全力保障和改善民生。一是完善救助体系。出台《社会救助制度实施方案》,制定工作任务清单。"
        "二是做好第十个救助管理机构“开放日”活动。\n"
        "（一）养老服务。新建社区养老服务站20个。"
    )
    found = commitments_of(nlp, text)
    assert [(t, p) for t, p, _ in found] == [
        ("出台《社会救助制度实施方案》,制定工作任务清单", ("完善大救助体系,全力保障和改善民生", "完善救助体系")),
        ("做好第十个救助管理机构“开放日”活动", ("完善大救助体系,全力保障和改善民生",)),
        ("新建社区养老服务站20个", ("完善大救助体系,全力保障和改善民生", "养老服务")),
    ]


def test_short_paragraph_lead_is_a_topic(nlp):
    text = "发展壮大新动能。做大做强新兴产业集群，实施大数据发展行动。\n加强审计监督。"
    found = commitments_of(nlp, text)
    assert [(t, p) for t, p, _ in found] == [
        ("做大做强新兴产业集群，实施大数据发展行动", ("发展壮大新动能",)),
        ("加强审计监督", ()),
    ]


def test_addresses_and_list_introductions_are_skipped(nlp):
    found = commitments_of(nlp, "各位代表！\n今年要突出抓好三个方面的工作：\n（一）投资\n开展招商引资专项行动。")
    assert [t for t, _, _ in found] == ["开展招商引资专项行动"]


def test_a_task_tables_header_row_is_no_commitment_and_its_rows_are_without_their_number(nlp):
    # 重点工作任务分工表 as a .docx or .doc reader gives it: a row a line, cells separated by tabs.
    text = (
        "序号\t工作任务\t责任科室\t完成时限\n"
        "1\t建成社区养老服务站30个\t养老服务科\t2022年12月底\n"
        "指标名称\t单位\t2022年目标\n"
        "护理型床位占比\t%\t超过50%\n"
        "新建社区养老服务站30个\t2023年\t2024年\n"
        "目标\t建成30个社区养老服务站\t2023年\n"
    )

    found = [t for t, _, _ in commitments_of(nlp, text)]

    assert found == [
        "建成社区养老服务站30个\t养老服务科\t2022年12月底",
        "护理型床位占比\t%\t超过50%",
        "新建社区养老服务站30个\t2023年\t2024年",  # a row with year cells is still a row
        "目标\t建成30个社区养老服务站\t2023年",
    ]


def test_attributes_documents_targets_actions_deadline(nlp):
    doc = nlp("2022年底前修订《中山市养老服务机构资助办法》，全市公办养老机构护理型床位占比超过50%。")
    (span,) = doc.spans["commitments"]
    assert span._.documents == ("中山市养老服务机构资助办法",)
    (target,) = span._.targets
    assert (target.value, target.unit, target.comparator) == (50.0, "%", ">")
    assert "护理型床位占比" in target.subject
    assert "修订" in span._.actions
    assert span._.deadline == "2022年底"


def test_vagueness_flags_rhetoric_and_judgements_but_not_checkable_tasks(nlp):
    found = dict(
        (t, v)
        for t, _, v in commitments_of(
            nlp,
            "坚持以习近平新时代中国特色社会主义思想为指引,弘扬伟大建党精神。"
            "加强养老服务人才队伍建设。"
            "层层压实党建工作责任,把民政系统各级党组织锻造得更加坚强有力。"
            "抓好项目建设是稳增长的保障。"
            "开展养老服务领域防范化解诈骗与非法集资风险专项行动。"
            "实现全市镇街未成年人保护工作站100%全覆盖。",
        )
    )
    assert found["坚持以习近平新时代中国特色社会主义思想为指引,弘扬伟大建党精神"] is True
    assert found["加强养老服务人才队伍建设"] is False  # a review can still report on it
    assert found["层层压实党建工作责任,把民政系统各级党组织锻造得更加坚强有力"] is True
    assert found["抓好项目建设是稳增长的保障"] is True
    assert found["开展养老服务领域防范化解诈骗与非法集资风险专项行动"] is False
    assert found["实现全市镇街未成年人保护工作站100%全覆盖"] is False


def test_extract_commitments_reports_offsets_into_the_whole_report():
    text = "前言。\n二、2022年工作计划\n（一）救助。出台《低保办法》。"
    section = SectionSpan("plan", 2022, "", "二、2022年工作计划", text.index("二、"), len(text))
    (commitment,) = extract_commitments(text, section)
    assert text[commitment.start : commitment.end] == commitment.text == "出台《低保办法》"
    assert commitment.topic_path == ("救助",)


def test_long_sections_are_read_in_chunks_that_keep_their_topics(monkeypatch):
    import commitments.engine.nlp.extract as extract

    text = "（一）养老服务\n" + "新建社区养老服务站20个。\n" * 30 + "（二）社会救助\n开展低保专项治理行动。\n"
    section = SectionSpan("plan", 2022, "", "", 0, len(text))
    whole = extract.extract_commitments(text, section)
    monkeypatch.setattr(extract, "CHUNK_CHARS", 40)
    assert len(list(extract.paragraph_chunks(text, 0, len(text)))) > 5
    chunked = extract.extract_commitments(text, section)
    assert [(c.text, c.start, c.topic_path) for c in chunked] == [(c.text, c.start, c.topic_path) for c in whole]
    assert chunked[-2].topic_path == ("养老服务",)
    assert chunked[-1].topic_path == ("社会救助",)


def test_a_list_opened_after_a_colon_inside_a_paragraph(nlp):
    text = "我就全年工作强调以下几点: 一是要全面强化党建。党的领导是根本。民政部门要开展专项行动。二是召开全县民政工作会议。"
    found = commitments_of(nlp, text)
    assert [(t, p) for t, p, _ in found] == [
        ("党的领导是根本", ("要全面强化党建",)),
        ("民政部门要开展专项行动", ("要全面强化党建",)),
        ("召开全县民政工作会议", ()),
    ]


def test_jieba_dictionary_cache_loads_the_same_objects_through_the_fast_reader():
    """The pipeline makes jieba read its dictionary cache whole (marshal.loads) instead of in
    thousands of small reads; the dictionary must come out the same."""
    import marshal

    import jieba

    from commitments.engine.nlp.pipeline import get_pipeline

    get_pipeline()
    cache_file = Path(jieba.dt.tmp_dir or tempfile.gettempdir()) / (jieba.dt.cache_file or "jieba.cache")
    with cache_file.open("rb") as fast, cache_file.open("rb") as slow:
        assert jieba.marshal.load(fast) == marshal.load(slow)
    assert jieba.lcut("推进社会救助工作") == ["推进", "社会救助", "工作"]


@pytest.mark.parametrize(
    ("row", "header"),
    [
        ("序号\t重点工作\t责任单位\t完成时限", True),
        ("序号\t工作事项\t牵头单位\t配合单位\t完成时限", True),
        ("序号\t具体工作要求\t责任单位\t时间安排", True),  # one label we do not list
        ("2021年完成值\t2022年目标值", True),
        ("序号\t工作任务\t牵头单位\t一季度\t二季度\t三季度\t四季度\t备注", True),  # a schedule by quarter
        ("新建社区养老服务站30个\t2023年\t2024年", False),
        ("目标\t建成30个社区养老服务站\t2023年", False),
        ("养老服务\t社会救助", False),
    ],
)
def test_a_table_header_is_told_from_a_row(row, header):
    from commitments.engine.nlp.components.detector import is_table_header

    assert is_table_header(row) is header
