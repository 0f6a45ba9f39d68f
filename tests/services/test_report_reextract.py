"""Re-extraction with a changed engine never loses an analyst's decision."""

import pytest

from commitments.engine import analyse
from commitments.models import Assessment, Commitment
from commitments.services.extraction import report_reextract
from commitments.services.reports import report_import

pytestmark = pytest.mark.django_db


def _decide(commitment: Commitment) -> Assessment:
    return Assessment.objects.create(
        commitment=commitment, status="partial", confidence=1.0, reason="分析员核实", source="analyst", note="已核实"
    )


def test_an_analyst_decision_survives_reextraction(seed):
    report = report_import(path=seed("003")).report
    commitment = Commitment.objects.filter(section__report=report).order_by("order")[3]
    _decide(commitment)

    report_reextract(report=report)

    assessment = Assessment.objects.get(commitment__text=commitment.text)
    assert (assessment.status, assessment.source, assessment.note) == ("partial", "analyst", "已核实")
    assert assessment.commitment.section.report == report


def test_a_decided_commitment_the_engine_no_longer_finds_is_kept_with_a_note(seed, monkeypatch):
    report = report_import(path=seed("003")).report
    commitment = Commitment.objects.filter(section__report=report).order_by("order")[3]
    _decide(commitment)
    others = Commitment.objects.filter(section__report=report).count() - 1
    real = analyse.analyse_text

    def without_that_sentence(text, **kwargs):
        result = real(text, **kwargs)
        result.commitments = [c for c in result.commitments if c.text != commitment.text]
        return result

    monkeypatch.setattr(analyse, "analyse_text", without_that_sentence)
    report_reextract(report=report)

    kept = Commitment.objects.get(pk=commitment.pk)
    assert kept.assessment.source == "analyst"
    assert kept.section.report == report and kept.section.kind == "plan"
    assert Commitment.objects.filter(section__report=report).count() == others + 1
    report.refresh_from_db()
    assert any("已保留分析员结论" in w for w in report.warnings)


def test_machine_only_commitments_that_vanish_are_removed(seed, monkeypatch):
    report = report_import(path=seed("003")).report
    total = Commitment.objects.filter(section__report=report).count()
    real = analyse.analyse_text

    def fewer(text, **kwargs):
        result = real(text, **kwargs)
        result.commitments = result.commitments[:-2]
        return result

    monkeypatch.setattr(analyse, "analyse_text", fewer)
    report_reextract(report=report)

    assert Commitment.objects.filter(section__report=report).count() == total - 2
