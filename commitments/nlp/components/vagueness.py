"""`vagueness`: flags commitments no review could verify (rhetoric, general improvement only).

A commitment is concrete when it names something checkable: a document, a figure, a deliverable
(专项行动, 试点, 平台, 清单…) or a completion verb with an object. "加强/健全/完善 X" on its own,
slogans and statements about the situation are vague.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span


@Language.factory("vagueness", default_config={"cues": {"@misc": "commitments.cue_words.v1"}})
class Vagueness:
    def __init__(self, nlp: Language, name: str, cues: dict):
        self.name = name
        self.concrete_actions = set(cues["concrete_actions"])
        self.soft_actions = set(cues["soft_actions"])
        self.concrete_objects = cues["concrete_objects"]
        self.rhetoric = cues["rhetoric"]
        self.descriptive = set(cues["descriptive"])

    def __call__(self, doc: Doc) -> Doc:
        for span in doc.spans.get("commitments", []):
            span._.vague = self.is_vague(span)
        return doc

    def is_vague(self, span: Span) -> bool:
        text = span.doc.text[span._.char_start : span._.char_end]
        words = [t.text for t in span]
        concrete = 0
        if span._.documents:
            concrete += 2
        if span._.targets:
            concrete += 2
        if "“" in text and any(w in text for w in ("行动", "工程", "活动", "项目", "计划")):
            concrete += 1  # a named campaign: “冬暖工程”
        concrete += sum(1 for obj in self.concrete_objects if obj in text)
        hard_verbs = sum(1 for w in words if w in self.concrete_actions)
        soft_verbs = sum(1 for w in words if w in self.soft_actions)
        rhetoric = sum(1 for phrase in self.rhetoric if phrase in text)
        if hard_verbs == 0 and soft_verbs == 0:
            return concrete < 2  # a statement, not a promise, unless it states a figure or document
        if rhetoric >= 2 and concrete < 2:
            return True
        if hard_verbs and concrete:
            return False
        if concrete >= 2:
            return False
        return not (hard_verbs >= 2 and rhetoric == 0)
