"""What the review page and the second coder's page both show: the right pane (the review text with its
passages) and the list of keys."""

from __future__ import annotations

from django.urls import reverse

from commitments.engine.types import STATUS_LABELS
from commitments.models import Assessment, Commitment, Evidence
from commitments.review.passages import Passage, marked_text
from commitments.selectors.review_pane import review_text_for

CONTEXT_TERM_CHARS = 4
# A review longer than this is shown as windows around its passages: a whole 300k-character yearbook
# would make a page the browser chokes on. State Council reviews run to about 20k characters.
PANE_CHARS = 60_000
WINDOW_CHARS = 3_000

# The page's keys, listed on it and in its `?` dialog; review.js binds the same ones.
REVIEW_KEYS = [
    ("1–5", "状态：" + " / ".join(STATUS_LABELS.values())),
    ("6–8", "采用证据 1–3（也可点击右侧的编号段落）"),
    ("e", "采用右侧选中的文字为证据"),
    ("c", "确认机器建议并下一条"),
    ("Enter", "保存并下一条"),
    ("s", "跳过，不保存"),
    ("u", "撤销本次最近一条决定"),
    ("n", "填写备注（Esc 离开输入框）"),
    ("?", "显示全部快捷键"),
]


def review_pane_context(
    commitment: Commitment, evidence: list[Evidence], *, adopted: Assessment | None = None
) -> dict | None:
    """The right pane: the review sections of the bureau and year, ranked passages numbered, the
    evidence an analyst took from elsewhere marked too, problems shaded, shared terms highlighted."""
    found = review_text_for(commitment)
    if found is None:
        return None
    report = found.report
    passages = [
        Passage(row.rank, row.start, row.end, label=str(row.rank))
        for row in evidence
        if row.section.report_id == report.pk
    ]
    if (
        adopted is not None
        and adopted.evidence_report_id == report.pk
        and adopted.evidence_start is not None
        and report.text[adopted.evidence_start : adopted.evidence_end] == adopted.evidence_text
        and not any((p.start, p.end) == (adopted.evidence_start, adopted.evidence_end) for p in passages)
    ):
        # First, so that it shows where it lies inside a ranked passage too (the earlier passage wins).
        passages.insert(0, Passage("chosen", adopted.evidence_start, adopted.evidence_end, label="已采用"))
    terms = {t for row in evidence for t in [*row.shared_terms, *row.figures]}
    # Outside the passages only what stands out (figures, long terms): two-character words would mark half the review.
    context_terms = {t for row in evidence for t in row.figures} | {t for t in terms if len(t) >= CONTEXT_TERM_CHARS}
    return {
        "report": report,
        "report_url": reverse("admin:commitments_report_change", args=[report.pk]),
        "sections": [
            {
                "section": section,
                "gap_before": gap,
                "html": marked_text(
                    report.text,
                    start,
                    end,
                    passages=passages,
                    shaded=found.problems,
                    terms=terms,
                    context_terms=context_terms,
                ),
            }
            for section, start, end, gap in pane_windows(found.sections, passages)
        ],
        "has_problems": bool(found.problems),
    }


def pane_windows(sections, passages: list[Passage], *, limit: int = PANE_CHARS, around: int = WINDOW_CHARS):
    """(section, start, end, characters left out before) to render: each section whole when the review
    fits in `limit`, else the stretches within `around` characters of a passage, merged."""
    if sum(s.end - s.start for s in sections) <= limit:
        return [(s, s.start, s.end, 0) for s in sections]
    windows = []
    for section in sections:
        spans = sorted(
            (max(section.start, p.start - around), min(section.end, p.end + around))
            for p in passages
            if p.start < section.end and p.end > section.start
        )
        merged: list[list[int]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        if not merged:  # no passage here: its opening, so that the analyst sees what the section is
            merged = [[section.start, min(section.end, section.start + around)]]
        previous = section.start
        for a, b in merged:
            windows.append((section, a, b, a - previous))
            previous = b
    return windows
