"""An adopted evidence's place follows its report: found again when the text is replaced, cleared when the
text no longer holds it or the report is deleted; its words are kept either way."""

from __future__ import annotations

import pytest

from commitments.models import Assessment, Report
from commitments.services.assessments import evidence_places_follow

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(zhongshan_pair):
    """A machine assessment whose evidence stands in the review, with its place."""
    plan, review = zhongshan_pair
    item = Assessment.objects.filter(commitment__section__report=plan, evidence_report=review).first()
    assert item is not None and review.text[item.evidence_start : item.evidence_end] == item.evidence_text
    return item, review


def test_a_place_follows_its_words_into_the_new_text(placed):
    item, review = placed
    review.text = "新增的前言一段。\n" + review.text
    review.save(update_fields=["text"])

    assert evidence_places_follow(review) >= 1

    item.refresh_from_db()
    assert review.text[item.evidence_start : item.evidence_end] == item.evidence_text
    assert item.evidence_report_id == review.pk


def test_a_place_whose_words_are_gone_is_cleared_and_the_words_kept(placed):
    item, review = placed
    words = item.evidence_text
    review.text = review.text.replace(words, "（此段已删除）")
    review.save(update_fields=["text"])

    evidence_places_follow(review)

    item.refresh_from_db()
    assert (item.evidence_report_id, item.evidence_start, item.evidence_end) == (None, None, None)
    assert item.evidence_text == words


def test_deleting_the_review_clears_the_place_with_the_report(placed):
    item, review = placed
    words, version = item.evidence_text, item.version
    Report.objects.filter(pk=review.pk).delete()

    item.refresh_from_db()
    assert (item.evidence_report_id, item.evidence_start, item.evidence_end) == (None, None, None)
    assert (item.evidence_text, item.version) == (words, version)
