"""The status call: the wording rules read, a fitted model decides silence and gives the confidence.

status.py reads the best evidence's wording and figures as if the review reported on the commitment
(done / under way / failed / figure met or missed). The status model (multinomial, fitted out of
fold) weighs that reading with the evidence model's probabilities, the problems part and the
sub-actions the review is silent on, and gives P(status) for 已完成, 部分完成, 未完成 and 回顾未提及.
Where 回顾未提及 is the likeliest, the review is taken as silent; otherwise the reading stands (so a
figure missed or a failure word is never overruled) and its probability is the confidence. Measured
leave-one-pair-out, letting the model choose among the reported statuses as well was no better and
overruled explicit wording ("启动了…编写工作" read as done).
"""

from __future__ import annotations

import numpy as np

from commitments.engine.matching.figures import check_targets
from commitments.engine.matching.status import NO_EVIDENCE_BELOW, last_cue
from commitments.engine.types import PART_LABELS, EvidenceSpan, Target

JUDGED = ("fulfilled", "partial", "not_fulfilled", "no_evidence")
# From the evidence model's probabilities of the top units (change with the model)…
EVIDENCE_FEATURES = ("evidence_p", "evidence_p2", "evidence_logit")
# …and from the wording of those units (fixed for a given choice of units).
WORDING_FEATURES = (
    "reads_fulfilled",
    "reads_partial",
    "reads_not_fulfilled",
    "reads_unverifiable",
    "reads_weak",
    "rule_silent",
    "rule_best",
    "tfidf_best",
    "cue_done",
    "cue_progress",
    "cue_failed",
    "problem",
    "figure_met",
    "figure_missed",
    "actions",
    "actions_silent",
    "vague",
    "targets",
)
STATUS_FEATURES = EVIDENCE_FEATURES + WORDING_FEATURES


def evidence_features(probabilities: np.ndarray) -> np.ndarray:
    best = float(probabilities[0])
    return np.array(
        [
            best,
            float(probabilities[1]) if len(probabilities) > 1 else 0.0,
            float(np.log(best + 1e-6) - np.log(1 - best + 1e-6)),
        ]
    )


def wording_features(
    *,
    reading: tuple[str, float, str],
    evidence: list[EvidenceSpan],
    tfidf_best: float,
    vague: bool,
    targets: tuple[Target, ...],
    action_units: list[str | None],
) -> np.ndarray:
    """The status model's wording features. `reading` is propose_status's answer when the review is
    taken to report on the commitment; `evidence` the top units with their rule scores, best first."""
    status, _, reason = reading
    best = evidence[0]
    cue = last_cue(best.text)
    outcomes = {c.outcome for c in check_targets(targets, evidence[:1])}
    silent_actions = sum(u is None for u in action_units)
    return np.array(
        [
            float(status == "fulfilled"),
            float(status == "partial"),
            float(status == "not_fulfilled"),
            float(status == "unverifiable"),
            float("依据较弱" in reason),
            float(best.score < NO_EVIDENCE_BELOW),
            best.score,
            tfidf_best,
            float(bool(cue) and cue[0] == "done"),
            float(bool(cue) and cue[0] == "progress"),
            float(bool(cue) and cue[0] == "failed"),
            float(any(ev.problem for ev in evidence)),
            float("met" in outcomes),
            float("missed" in outcomes),
            float(min(len(action_units), 5)),
            silent_actions / len(action_units) if action_units else 0.0,
            float(vague),
            float(min(len(targets), 3)),
        ]
    )


def judged(reading: tuple[str, float, str], chance: np.ndarray, vague: bool) -> tuple[str, str, float]:
    """(status, reason, confidence) from the rules' reading and the model's probabilities. A vague
    commitment the review talks around stays 无法核验, as the rules say, with the model's probability
    that the review reports on it at all."""
    read_status, _, reason = reading
    silence = float(chance[JUDGED.index("no_evidence")])
    if JUDGED[int(np.argmax(chance))] == "no_evidence" or read_status == "no_evidence":
        return "no_evidence", "回顾中未找到与该承诺相关的表述" + ("（承诺表述笼统）" if vague else ""), silence
    if read_status not in JUDGED:
        return read_status, reason, 1 - silence
    return read_status, reason, float(chance[JUDGED.index(read_status)])


def with_grounds(reason: str, parts: dict[str, float], count: int = 2) -> str:
    """The reason line naming the strongest contributions that made the best evidence the best."""
    strongest = sorted(((value, name) for name, value in parts.items() if value > 0), reverse=True)[:count]
    if not strongest:
        return reason
    return f"{reason}（证据依据：{'、'.join(PART_LABELS.get(name, name) for _, name in strongest)}）"
