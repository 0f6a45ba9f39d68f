"""The matcher learns from its analysts: confirmed decisions become training data, and a model trained
with them is adopted only when its cross-validated figures on the gold are not worse."""

from __future__ import annotations

import json

import pytest

from commitments.engine.evaluation import prepare_gold
from commitments.engine.learning.fit import TrainingError
from commitments.engine.learning.report import not_worse
from commitments.engine.matching.learned import load_model
from commitments.engine.matching.model_file import MODEL_PATH
from commitments.models import Assessment, MatcherVersion
from commitments.selectors.decisions import decision_inputs
from commitments.services import matcher_versions
from commitments.services.assessments import assessment_decide
from commitments.services.matcher_versions import MIN_DECISIONS, matcher_train
from tests.paths import DEVSET

pytestmark = pytest.mark.django_db
GOLD = ("lanling_2022.gold.json", "sampled/hailar_2013.gold.json", "sampled/hailar_2014.gold.json")


@pytest.fixture(scope="module")
def prepared():
    return [prepare_gold(DEVSET / name, use_embeddings=True) for name in GOLD]


@pytest.fixture
def model_file(tmp_path, monkeypatch):
    """The engine's model file for this test: a copy of the shipped one, never the shipped one itself."""
    path = tmp_path / "matcher.json"
    path.write_text(MODEL_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("MATCH_MODEL", str(path))
    return path


def decide(zhongshan_pair, staff_user, count: int) -> int:
    """An analyst decides `count` of 中山市民政局's commitments as the gold says (status, evidence)."""
    plan, _ = zhongshan_pair
    gold = {c["text"]: c for c in json.loads((DEVSET / "zhongshan_2022.gold.json").read_text("utf-8"))["commitments"]}
    done = 0
    for assessment in Assessment.objects.filter(commitment__section__report=plan).order_by("commitment__order"):
        item = next((g for text, g in gold.items() if text in assessment.commitment.text and "status" in g), None)
        if item is None or item["status"] == "not_fulfilled" or done == count:
            continue
        assessment_decide(
            assessment=assessment,
            user=staff_user,
            expected_version=assessment.version,
            status=item["status"],
            evidence_text=(item.get("evidence") or [""])[0],
        )
        done += 1
    return done


def test_confirmed_decisions_are_read_as_labelled_commitments(zhongshan_pair, staff_user):
    decided = decide(zhongshan_pair, staff_user, 5)
    [entry] = decision_inputs()
    assert len(entry.items) == decided == 5
    for row, item in entry.items:
        assessment = Assessment.objects.get(pk__isnull=False, commitment_id=int(item["id"]))
        assert entry.commitments[row].text == assessment.commitment.text
        assert item["status"] == assessment.status and item["kind"] == "concrete"
        assert all(e in entry.review_text for e in item["evidence"])


def test_too_few_decisions_train_nothing_and_adopt_nothing(zhongshan_pair, staff_user, prepared, model_file):
    decide(zhongshan_pair, staff_user, 3)
    before = model_file.read_bytes()
    with pytest.raises(TrainingError, match=f"至少需要 {MIN_DECISIONS} 条"):
        matcher_train(prepared=prepared, with_decisions=True, user=staff_user)
    assert model_file.read_bytes() == before
    assert not MatcherVersion.objects.exists()


def test_a_model_not_worse_on_the_gold_is_adopted_and_becomes_the_engines(
    zhongshan_pair, staff_user, prepared, model_file, monkeypatch
):
    assert decide(zhongshan_pair, staff_user, MIN_DECISIONS) == MIN_DECISIONS
    nothing = {"pooled_real": {"evidence_p_at_1": 0.0, "status_accuracy": 0.0, "status_macro_f1": 0.0}}
    monkeypatch.setattr(matcher_versions, "_baseline", lambda prepared, names: nothing)

    outcome = matcher_train(prepared=prepared, with_decisions=True, user=staff_user)

    row = MatcherVersion.objects.get()
    assert (row.adopted, row.current, row.decisions, row.trained_by) == (True, True, MIN_DECISIONS, staff_user)
    assert row.gold_files == [name.rsplit("/", 1)[-1] for name in GOLD] and row.baseline == nothing
    model = load_model(model_file)
    assert model.version == row.version and model.manifest["decisions"] == MIN_DECISIONS
    assert outcome.path == model_file and "已采用" in row.verdict


def test_a_model_worse_on_the_gold_is_recorded_but_not_adopted(
    zhongshan_pair, staff_user, prepared, model_file, monkeypatch
):
    decide(zhongshan_pair, staff_user, MIN_DECISIONS)
    perfect = {"pooled_real": {"evidence_p_at_1": 1.0, "status_accuracy": 1.0, "status_macro_f1": 1.0}}
    monkeypatch.setattr(matcher_versions, "_baseline", lambda prepared, names: perfect)
    before = model_file.read_bytes()

    outcome = matcher_train(prepared=prepared, with_decisions=True, user=staff_user)

    row = MatcherVersion.objects.get()
    assert (row.adopted, row.current, outcome.path) == (False, False, None)
    assert row.verdict.startswith("未采用：") and "状态准确率" in row.verdict
    assert model_file.read_bytes() == before  # the engine keeps its model


def test_the_guard_names_each_figure_that_got_worse():
    old = {"pooled_real": {"evidence_p_at_1": 0.80, "status_accuracy": 0.61, "status_macro_f1": 0.57}}
    assert not_worse(old, old) == []
    new = {"pooled_real": {"evidence_p_at_1": 0.81, "status_accuracy": 0.60, "status_macro_f1": 0.58}}
    assert not_worse(new, old) == ["状态准确率 0.600 < 现用模型 0.610"]


def test_the_model_versions_page_is_the_superusers(client, make_user, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", password="root-pass")
    MatcherVersion.objects.create(version="m-test", adopted=True, current=True, figures={"pooled_real": {}})
    client.force_login(admin_user)
    page = client.get("/admin/commitments/matcherversion/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "m-test" in text and "引擎当前读取的模型" in text
    client.force_login(make_user("mv-analyst", "analyst"))
    assert client.get("/admin/commitments/matcherversion/").status_code == 403


def test_an_import_with_an_unusable_model_says_why_it_was_not_matched(tmp_path, monkeypatch, seed):
    from commitments.services.reports import report_import

    broken = tmp_path / "matcher.json"
    broken.write_text('{"format": 1, "version": "m-x", "variants": {}}', encoding="utf-8")
    monkeypatch.setenv("MATCH_MODEL", str(broken))
    report_import(path=seed("001"))
    outcome = report_import(path=DEVSET / "zhongshan_2022_review.synthetic.txt", bureau_name="中山市民政局")
    assert outcome.report is not None  # the import stands
    assert "未能匹配" in outcome.reason and "缺少 embeddings 模型" in outcome.reason, outcome.reason
