"""Quality bar of issue 2, measured with the same code as `manage.py evaluate`."""

import json

import pytest

from commitments.engine.analyse import analyse_text
from commitments.engine.evaluation import evaluate_extraction, evaluate_gold_file, evidence_hit
from commitments.engine.ingest.readers import read_report
from tests.paths import DEVSET, seed

GOLD_FILES = sorted(DEVSET.glob("*.gold.json"))
WHOLE_REPORTS = {
    "zhongshan_2022.gold.json": seed("001"),
    "lanling_2022.gold.json": seed("003"),
    "qianjiang_2020h2.gold.json": seed("002"),
    "hailar_2015.gold.json": DEVSET / "hailar_2015.gbk.txt",
}


def test_devset_is_there():
    assert len(GOLD_FILES) >= 6


@pytest.mark.parametrize("gold_path", GOLD_FILES, ids=lambda p: p.name)
def test_extraction_meets_the_bar_on_every_plan_part(gold_path):
    score = evaluate_gold_file(gold_path, matching=False).extraction
    if score.recall is not None:
        assert score.recall >= 0.95, score.missed
    if score.gold_concrete == 0:  # a plan part of slogans only (xxcounty): nothing may be called concrete
        assert score.system_concrete == 0, score.spurious
    else:
        assert score.precision is not None and score.precision >= 0.90, score.spurious


@pytest.mark.parametrize("gold_name", sorted(WHOLE_REPORTS), ids=str)
def test_extraction_from_the_whole_published_report_finds_the_plan(gold_name):
    """The same gold, but the engine must first find the plan part inside the whole report."""
    gold = json.loads((DEVSET / gold_name).read_text(encoding="utf-8"))
    report = read_report(WHOLE_REPORTS[gold_name])
    extraction = analyse_text(report.text, title=report.title)
    score = evaluate_extraction(gold, report.text, extraction.commitments, gold_name)
    assert score.recall >= 0.95, score.missed
    assert score.precision >= 0.90, score.spurious


def test_a_system_that_finds_nothing_scores_zero_recall():
    gold_path = DEVSET / "lanling_2022.gold.json"
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    plan = (DEVSET / gold["plan_file"]).read_text(encoding="utf-8")
    score = evaluate_extraction(gold, plan, [], gold_path.name)
    assert score.recall == 0
    assert score.precision is None


def test_evaluate_command_prints_figures(capsys):
    from django.core.management import call_command

    call_command("evaluate", str(DEVSET / "lanling_2022.gold.json"))
    out = capsys.readouterr().out
    assert "lanling_2022.gold.json" in out
    assert "1.000" in out


# --- the evidence hit rule (shared/devset/README.md, "How figures are computed") ----------------

GOLD_SENTENCE = "完成规划编写，全市新建养老服务站点，覆盖全部镇街和村居"


def test_a_clause_cut_out_of_a_gold_sentence_hits_from_ten_characters():
    """Gold evidence is sometimes a whole sentence while the engine proposes one of its clauses."""
    ten, nine = "全市新建养老服务站点", "覆盖全部镇街和村居"
    assert (len(ten), len(nine)) == (10, 9)
    assert evidence_hit(ten, [GOLD_SENTENCE])
    assert not evidence_hit(nine, [GOLD_SENTENCE])


def test_containment_and_eighty_percent_in_order_still_hit():
    gold = "全年新建社区养老服务站22个"
    assert evidence_hit("全年新建社区养老服务站22个，覆盖全部镇街", [gold])
    assert evidence_hit("全年新建社区养老\n服务站22个", [gold])  # whitespace ignored
    assert evidence_hit("今年共新建社区养老服务站点22个", ["无关的句子", gold])  # 14 of 15 in order
    assert evidence_hit("新建社区养老服务", ["新建社区养老服务站点"])  # 8 of 10
    assert not evidence_hit("新建社区养老服", ["新建社区养老服务站点"])  # 7 of 10
    assert not evidence_hit("开展殡葬领域专项整治", [gold])


# --- sampled gold files ---------------------------------------------------------------------------

PAIR_PLAN = (
    "2022年工作计划\n2022年是实施“十四五”规划的关键一年。\n"
    "一、养老服务。完成《中山市养老服务发展规划》编写。新建社区养老服务站20个。进一步加强养老服务工作。\n"
)
PAIR_REVIEW = (
    "2022年工作总结\n全年新建社区养老服务站22个，覆盖全部镇街。完成《中山市养老服务发展规划》编写并印发实施。\n"
)
SAMPLE = [
    {"id": "s1", "text": "2022年是实施“十四五”规划的关键一年", "kind": "not_commitment", "topic": ""},
    {
        "id": "s2",
        "text": "完成《中山市养老服务发展规划》编写",
        "kind": "concrete",
        "topic": "一、养老服务",
        "status": "fulfilled",
        "evidence": ["完成《中山市养老服务发展规划》编写并印发实施"],
    },
    {
        "id": "s3",
        "text": "新建社区养老服务站20个",
        "kind": "concrete",
        "topic": "一、养老服务",
        "status": "fulfilled",
        "evidence": ["全年新建社区养老服务站22个"],
    },
    {
        "id": "s4",
        "text": "进一步加强养老服务工作",
        "kind": "vague",
        "topic": "一、养老服务",
        "status": "no_evidence",
        "evidence": [],
    },
    # A heading no extractor takes for a commitment: a sampled clause the system does not find.
    {"id": "s5", "text": "一、养老服务", "kind": "concrete", "topic": "", "status": "no_evidence", "evidence": []},
]


def write_pair(directory, commitments=SAMPLE, *, name="pair", sampling="sample: 5 clauses drawn at random"):
    (directory / f"{name}_plan.txt").write_text(PAIR_PLAN, encoding="utf-8")
    (directory / f"{name}_review.txt").write_text(PAIR_REVIEW, encoding="utf-8")
    gold = {
        "plan_file": f"{name}_plan.txt",
        "review_file": f"{name}_review.txt",
        "bureau": "中山市民政局",
        "year": 2022,
        "sampling": sampling,
        "commitments": commitments,
    }
    path = directory / f"{name}.gold.json"
    path.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_sampled_gold_file_has_kind_shares_and_matching_but_no_extraction_figures(tmp_path):
    score = evaluate_gold_file(write_pair(tmp_path), use_embeddings=False)

    assert score.sampled and score.real
    assert score.extraction.recall is None and score.extraction.precision is None
    assert (score.sample.clauses, score.sample.vague, score.sample.not_commitment) == (5, 1, 1)
    assert score.sample.vague_share == score.sample.not_commitment_share == 0.2
    # Evidence over the found commitments the review reports; status over every sampled concrete
    # commitment, the one the system did not find counted as wrong.
    assert score.matching.evidence_total == 2
    assert score.matching.hits_at_1 == 2
    assert sorted(score.matching.status_pairs) == [
        ("fulfilled", "fulfilled"),
        ("fulfilled", "fulfilled"),
        ("no_evidence", "not_found"),
    ]


def _row(out: str, label: str) -> list[str]:
    [line] = [line for line in out.splitlines() if line.startswith(label)]
    return line[len(label) :].split()


def test_evaluate_prints_a_sampled_file_without_extraction_figures_and_pools_real_pairs(tmp_path, capsys):
    from django.core.management import call_command

    sampled = write_pair(tmp_path)
    call_command("evaluate", str(DEVSET / "lanling_2022.gold.json"), str(sampled), "--no-embeddings")
    extraction, sample, kinds, matching = capsys.readouterr().out.split("\n\n")[:4]

    extraction_row = _row(extraction, "pair.gold.json")
    assert "抽样" in extraction_row and "1.000" not in extraction_row
    assert _row(sample, "all sampled (micro)")[:4] == ["5", "0.200", "0.200", "0.400"]
    # The kind call over the labelled clauses; the pooled line is the real (sampled) pair's.
    assert kinds.startswith("kinds (model in use)") and _row(kinds, "pair ")[:3] == _row(kinds, "合并（真实报告）")[:3]
    # lanling has a synthetic review, the sampled pair a real one: each pooled line is one file's row.
    assert _row(matching, "all complete (micro)") == _row(matching, "lanling_2022.gold.json")[1:]
    assert _row(matching, "all real pairs (micro)") == _row(matching, "pair.gold.json")[1:]
    assert _row(matching, "pair.gold.json")[0] == "真实·抽样"


# --- bad gold files -------------------------------------------------------------------------------


COMPLETE = SAMPLE[1:]  # without the not_commitment clause: a complete file the old code read


def _with(item_id, **changes):
    return [dict(item, **changes) if item["id"] == item_id else item for item in COMPLETE]


@pytest.mark.parametrize(
    ("commitments", "item_id", "problem"),
    [
        (_with("s2", status="done"), "s2", "done"),
        (_with("s3", kind="important"), "s3", "important"),
        (_with("s3", evidence=["全年新建社区养老服务站30个"]), "s3", "全年新建社区养老服务站30个"),
        (_with("s2", text="完成《中山市殡葬改革方案》编写"), "s2", "完成《中山市殡葬改革方案》编写"),
        ([{k: v for k, v in item.items() if k != "status"} for item in COMPLETE], "s2", "status"),
        ([*COMPLETE, COMPLETE[0]], "s2", "id"),
    ],
    ids=["unknown status", "unknown kind", "evidence not in review", "text not in plan", "no status", "same id"],
)
def test_a_bad_gold_file_is_refused_naming_the_file_and_the_item(tmp_path, commitments, item_id, problem):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = write_pair(tmp_path, commitments, name="bad", sampling="complete")
    with pytest.raises(CommandError) as refused:
        call_command("evaluate", str(path), "--no-embeddings")
    message = str(refused.value)
    assert str(path) in message
    assert f"条目 {item_id}" in message
    assert problem in message
