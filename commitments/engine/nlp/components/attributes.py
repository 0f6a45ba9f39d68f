"""`commitment_attributes`: named documents, quantitative targets, action verbs and deadlines."""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from commitments.engine.nlp.targets import parse_targets

DOCUMENT_RE = re.compile(r"《([^《》]{2,80})》")


def named_documents(text: str) -> tuple[str, ...]:
    """Titles in 《》, de-duplicated in order."""
    return tuple(dict.fromkeys(DOCUMENT_RE.findall(text)))


@Language.factory("commitment_attributes", default_config={"cues": {"@misc": "commitments.cue_words.v1"}})
class CommitmentAttributes:
    def __init__(self, nlp: Language, name: str, *, cues: dict):
        self.name = name
        self.verbs = set(cues["concrete_actions"]) | set(cues["soft_actions"])
        self.deadline_re = re.compile("|".join(f"(?:{p})" for p in cues["deadline_patterns"]))

    def __call__(self, doc: Doc) -> Doc:
        full_text = doc.text  # built anew on every access: read it once
        for span in doc.spans.get("commitments", []):
            text = full_text[span._.char_start : span._.char_end]
            span._.documents = named_documents(text)
            span._.targets = tuple(parse_targets(text))
            span._.actions = tuple(dict.fromkeys(t.text for t in span if t.text in self.verbs))
            deadline = self.deadline_re.search(text)
            span._.deadline = deadline.group(0) if deadline else ""
        return doc
