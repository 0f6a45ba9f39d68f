"""`clause_sentencizer`: sentence and `；`-clause boundaries for Chinese reports.

spaCy's built-in sentencizer keeps any punctuation token after a full stop in the old sentence,
so an opening 《 or “ that begins the next sentence is cut off from it. Here only closing marks
(”’」』)）】) stay behind; boundaries already set by `report_structure` are kept.
"""

from __future__ import annotations

from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

CLAUSE_END = frozenset("。；;！!？?")
CLOSING_MARKS = frozenset("”’」』)）】〕》\"'")


@Language.factory("clause_sentencizer", default_config={"ends": "。；;！!？?"})
class ClauseSentencizer:
    def __init__(self, nlp: Language, name: str, *, ends: str):
        self.name = name
        self.ends = frozenset(ends)

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        starts = doc.to_array([SENT_START])
        starts[0] = 1
        after_end = False
        for i, token in enumerate(doc):
            text = token.text
            if after_end and not (text.isspace() or set(text) <= CLOSING_MARKS):
                if starts[i] == 0:
                    starts[i] = 1
                after_end = False
            if text and text.rstrip()[-1:] in self.ends:
                after_end = True
        # Every token not marked as a start is inside a sentence (-1), stored as uint64 by spaCy.
        starts[starts == 0] = -1 & 0xFFFFFFFFFFFFFFFF
        doc.from_array([SENT_START], starts)
        return doc
