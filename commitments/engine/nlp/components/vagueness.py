"""`vagueness`: flags commitments no review could verify (rhetoric, general improvement only).

A commitment is concrete when it names something checkable: a document, a figure, a deliverable
(专项行动, 试点, 平台, 清单…) or a completion verb with an object. "加强/健全/完善 X" on its own,
slogans and statements about the situation are vague.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

QUOTED_NAME_RE = re.compile(r"“[^”]{2,20}”(?:行动|工程|活动|项目|计划|工作|改革|试点|创建|服务)")
EVENT_RE = re.compile(r"第[一二三四五六七八九十\d]+(?:届|批|次|个)")
DESCRIPTIVE_RE = re.compile(
    r"^[^，,]{2,24}是[^，,]{0,30}(?:关键|保障|根本|基础|前提|保证|确保|生命线|引擎|之年|需要|要求|任务|方向|途径)"
)
GUIDING_RE = re.compile(r"(?:坚持|始终坚持|全面|深入|认真)?(?:以|在).{2,60}?为(?:指引|指导|统领|引领|主线|根本)")


@Language.factory("vagueness", default_config={"cues": {"@misc": "commitments.cue_words.v1"}})
class Vagueness:
    def __init__(self, nlp: Language, name: str, *, cues: dict):
        self.name = name
        self.concrete_actions = set(cues["concrete_actions"])
        self.soft_actions = set(cues["soft_actions"])
        self.concrete_objects = cues["concrete_objects"]
        self.rhetoric = cues["rhetoric"]
        self.descriptive = set(cues["descriptive"])

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text  # built anew on every access: read it once
        for span in doc.spans.get("commitments", []):
            span._.vague = self.is_vague(span, text[span._.char_start : span._.char_end])
        return doc

    def is_vague(self, span: Span, text: str) -> bool:
        words = [t.text for t in span]
        concrete = 2 * bool(span._.documents) + 2 * bool(span._.targets)
        if QUOTED_NAME_RE.search(text) or EVENT_RE.search(text):
            concrete += 1  # a named campaign or event: “冬暖工程”, 第十届…
        concrete += sum(1 for obj in self.concrete_objects if obj in text)
        hard_verbs = sum(1 for w in words if w in self.concrete_actions)
        soft_verbs = sum(1 for w in words if w in self.soft_actions)
        rhetoric = sum(1 for phrase in self.rhetoric if phrase in text)
        if hard_verbs == 0 and soft_verbs == 0:
            return concrete < 2  # a statement about the situation, unless it states a figure or document
        if rhetoric >= 3 and not (span._.documents or span._.targets):
            return True  # a paragraph of political rhetoric, whatever nouns it passes by
        if DESCRIPTIVE_RE.match(text) and concrete < 2:
            return True  # "抓好项目建设是稳增长的保障": a judgement, not a task
        if GUIDING_RE.match(text) and concrete < 2:
            return True  # "坚持以…为指引": the guiding line, not a task
        if rhetoric >= 2 and concrete < 2:
            return True
        # "加强X" alone: a review can still report on X, so it stays checkable unless it is rhetoric.
        return hard_verbs + concrete == 0 and rhetoric >= 1
