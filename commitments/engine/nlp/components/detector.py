"""`commitment_detector`: which sentences and `；`-clauses are commitments, and under which topic.

Headings (`一、…`, `（一）…`) are topics. A lead clause (`一是…`, `1.…`, or a short first sentence of
a paragraph) that is followed by elaboration names a topic too; standing alone, it is a commitment.
"""

from __future__ import annotations

import bisect
import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from commitments.engine.ingest.headings import heading_level, lead_at

CLOSING = "。；;！!？?，,、 \t\n\u3000\xa0\r"
HAN_RE = re.compile(r"[\u4e00-\u9fff]")
LEAD_LEVEL = 5
PARAGRAPH_LEAD_MAX = 18
# No commitment is longer: a longer clause is a run of text without sentence ends (a report pasted
# on one line without punctuation), which no review could be matched against.
MAX_COMMITMENT_CHARS = 1_000
ADDRESS_RE = re.compile(r"^(各位代表|同志们|各位领导|谢谢大家|女士们|先生们)[！!，,：:。]?$")
# Column labels of a task table (重点工作任务分工表): its header row is no commitment, its rows are.
TABLE_LABEL_RE = re.compile(
    r"^(?:序号|编号|(?:重点|主要|工作|具体|年度)?(?:任务|内容|目标|措施|举措|工作|事项)(?:内容|名称|清单)?|项目(?:名称)?|"
    r"时间安排|第?[一二三四1-4]季度|[一二三四五六七八九十]{1,2}月(?:份)?|[上下]半年|全年|"
    r"(?:责任|牵头|配合|主责)(?:单位|部门|科室|领导|人)|责任人|(?:完成|办结)?(?:时限|时间)|时间节点|进度安排|备注|"
    r"指标(?:名称)?|(?:计量)?单位|(?:(?:19|20)\d{2}年)?(?:目标|完成|计划|实际)值|(?:19|20)\d{2}年(?:目标|计划|完成)?)$"
)


ROW_NUMBER_RE = re.compile(r"\d{1,3}[.、]?\t+")


YEAR_LABEL_RE = re.compile(r"^(?:19|20)\d{2}年$")
UNKNOWN_LABEL_RE = re.compile(r"^[\u4e00-\u9fff]{2,6}$")  # a short word, no figure: a label we do not list


def is_table_header(text: str) -> bool:
    """A row of tab-separated column labels ("序号\t工作任务\t责任科室\t完成时限"): labels but for at
    most one short word, and not only years ("新建养老服务站30个\t2023年\t2024年" is a row)."""
    cells = [cell.strip() for cell in text.split("\t") if cell.strip()]
    labels = [cell for cell in cells if TABLE_LABEL_RE.match(cell)]
    others = [cell for cell in cells if not TABLE_LABEL_RE.match(cell)]
    return (
        len(labels) >= 2
        and len(others) <= 1
        and all(UNKNOWN_LABEL_RE.match(cell) for cell in others)
        and any(not YEAR_LABEL_RE.match(cell) for cell in labels)
    )


for _name, _default in [
    ("topic_path", ()),
    ("char_start", None),
    ("char_end", None),
    ("documents", ()),
    ("targets", ()),
    ("actions", ()),
    ("deadline", ""),
    ("vague", False),
]:
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=_default)
# Topics carried from one chunk of a long section to the next.
for _name in ("topics_in", "topics_out"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


def _trim(text: str, start: int, end: int, skipped: list[tuple[int, int]]) -> tuple[int, int]:
    while start < end and text[start] in CLOSING:
        start += 1
    for a, b in skipped:
        if a == start:
            start = b
    while end > start and text[end - 1] in CLOSING:
        end -= 1
    return start, end


@Language.factory(
    "commitment_detector",
    default_config={"min_han": 4, "paragraph_leads": True},
)
class CommitmentDetector:
    def __init__(self, nlp: Language, name: str, *, min_han: int, paragraph_leads: bool):
        self.name = name
        self.min_han = min_han
        self.paragraph_leads = paragraph_leads

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        headings = {h.start: h for h in (doc._.headings or [])}
        paragraph_starts = doc._.paragraph_starts or [0]
        skipped = doc._.skipped_chars or []
        clauses = []
        for sent in doc.sents:
            start, end = _trim(text, sent.start_char, sent.end_char, skipped)
            if start < end:
                clauses.append((start, end))

        def paragraph_of(pos: int) -> int:
            return bisect.bisect_right(paragraph_starts, pos) - 1

        topics: dict[int, str] = dict(doc._.topics_in or {})
        spans: list[Span] = []
        for index, (start, end) in enumerate(clauses):
            nxt = clauses[index + 1] if index + 1 < len(clauses) else None
            same_paragraph_next = nxt is not None and paragraph_of(nxt[0]) == paragraph_of(start)
            next_is_marker = nxt is not None and (nxt[0] in headings or lead_at(text, nxt[0]) is not None)
            elaborated = same_paragraph_next and not next_is_marker
            if index == 0 or paragraph_of(start) != paragraph_of(clauses[index - 1][0]):
                topics.pop(LEAD_LEVEL, None)  # a lead's scope ends with its paragraph

            heading = headings.get(start)
            if heading and heading.level <= 2:
                self._set_topic(topics, heading.level, heading.title)
                continue
            body_start = start
            level = None
            if heading:  # 1. / （1） items: topics when elaborated, commitments when self-contained
                level, body_start = LEAD_LEVEL - 1, heading.body_start
            else:
                lead_end = lead_at(text, start)
                if lead_end is not None:
                    level, body_start = LEAD_LEVEL, lead_end
            body_start, end = _trim(text, body_start, end, skipped)
            row_number = ROW_NUMBER_RE.match(text, body_start, end)
            if row_number:  # a task table's row: its 序号 cell is not part of the task
                body_start = row_number.end()
            body = text[body_start:end]
            if len(body) > MAX_COMMITMENT_CHARS:
                continue
            if len(HAN_RE.findall(body)) < self.min_han or ADDRESS_RE.match(text[start:end]):
                continue
            if "\t" in body and is_table_header(body):
                continue
            if body.endswith(("：", ":")) and (not same_paragraph_next or next_is_marker):
                continue  # "今年要突出抓好十个方面的工作：" introduces the list that follows
            if level is not None and elaborated:
                self._set_topic(topics, level, body)
                continue
            if level is None and self._is_paragraph_lead(
                text, start, end, body, elaborated, paragraph_of, clauses, index
            ):
                self._set_topic(topics, LEAD_LEVEL, body)
                continue
            if level is not None:
                topics.pop(LEAD_LEVEL, None)
            span = doc.char_span(body_start, end, alignment_mode="expand")
            if span is None:
                continue
            span._.char_start = body_start
            span._.char_end = end
            span._.topic_path = tuple(topics[k] for k in sorted(topics))
            spans.append(span)
        doc.spans["commitments"] = spans
        doc._.topics_out = topics
        return doc

    @staticmethod
    def _set_topic(topics: dict[int, str], level: int, title: str) -> None:
        for deeper in [k for k in topics if k >= level]:
            del topics[deeper]
        topics[level] = title.strip(CLOSING)

    def _is_paragraph_lead(self, text, start, end, body, elaborated, paragraph_of, clauses, index) -> bool:
        """A short first sentence of a paragraph that the rest elaborates ("发展壮大新动能。")."""
        if not (self.paragraph_leads and elaborated):
            return False
        if index > 0 and paragraph_of(clauses[index - 1][0]) == paragraph_of(start):
            return False
        closing = text[end : end + 1]
        parts = re.split(r"[，,]", body)
        # "发展壮大新动能。" or a pair of parallel slogans: "践行群众路线，打造服务政府。"
        slogan_pair = len(parts) == 2 and all(2 <= len(p) <= 8 for p in parts)
        return (
            closing == "。"
            and len(body) <= PARAGRAPH_LEAD_MAX
            and (len(parts) == 1 or slogan_pair)
            and not re.search(r"[\d%《]", body)
            and heading_level(text, start) is None
        )
