"""Extraction on text without sentence ends: no run-on "commitment", and pieces spaCy reads fast."""

import re

from commitments.engine.nlp import extract
from commitments.engine.nlp.components.detector import MAX_COMMITMENT_CHARS
from commitments.engine.nlp.extract import extract_commitments, paragraph_chunks
from commitments.engine.types import SectionSpan
from tests.helpers import ZHONGSHAN_PLAN

_PUNCTUATION = re.compile(r"[\s。；;！!？?，,、：:“”（）()《》]")


def unpunctuated(chars: int) -> str:
    """The devset plan with its punctuation and line ends taken out, repeated to `chars` characters."""
    body = _PUNCTUATION.sub("", ZHONGSHAN_PLAN.read_text(encoding="utf-8"))
    return (body * (chars // len(body) + 1))[:chars]


def plan_section(text: str) -> SectionSpan:
    return SectionSpan("plan", 2022, "", "", 0, len(text))


def test_a_report_on_one_line_without_punctuation_gives_no_commitment_over_the_bound():
    text = unpunctuated(3 * extract.CHUNK_CHARS)

    found = extract_commitments(text, plan_section(text))

    assert all(len(commitment.text) <= MAX_COMMITMENT_CHARS for commitment in found)


def test_a_clause_over_the_bound_is_no_commitment_and_one_under_it_still_is():
    long_clause = "新建社区养老服务站" + "，".join(["完善居家养老服务网络"] * 100)  # 1,100 characters, no full stop
    text = f"新建社区养老服务站30个。\n{long_clause}。\n开展低保专项治理行动。"

    found = [commitment.text for commitment in extract_commitments(text, plan_section(text))]

    assert len(long_clause) > MAX_COMMITMENT_CHARS
    assert found == ["新建社区养老服务站30个", "开展低保专项治理行动"]


def test_a_line_longer_than_a_piece_is_cut_into_pieces_of_at_most_the_piece_size():
    text = unpunctuated(5 * extract.CHUNK_CHARS + 123)

    pieces = list(paragraph_chunks(text, 0, len(text)))

    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(end == following for (_, end), (following, _) in zip(pieces, pieces[1:], strict=False))
    assert max(end - start for start, end in pieces) <= extract.CHUNK_CHARS


def test_a_long_line_with_sentence_ends_is_cut_after_one():
    sentence = "新建社区养老服务站30个，完善居家养老服务网络。"
    text = sentence * (3 * extract.CHUNK_CHARS // len(sentence))

    pieces = list(paragraph_chunks(text, 0, len(text)))

    assert len(pieces) > 2
    assert all(text[end - 1] == "。" for _, end in pieces)
