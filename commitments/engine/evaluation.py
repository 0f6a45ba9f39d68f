"""Score the engine against the devset gold files (rules in shared/devset/README.md).

Pure Python, so that the same figures come from `manage.py evaluate`, the tests and benchmarks.
Two kinds of gold file: complete ones list every clause of a plan; sampled ones (`"sampling":
"sample: …"`) label a random sample of the clauses the tracker extracted, so they give evidence and
status figures and the share of vague and not_commitment clauses, never extraction recall/precision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from commitments.engine.analyse import analyse_text
from commitments.engine.gold import NOT_COMMITMENT, GoldFile, load_gold
from commitments.engine.matching.engine import PairScores, decide, match_commitments, prepare_pair, review_sections_for
from commitments.engine.matching.learned import MatcherModel, current_model
from commitments.engine.matching.peers import PEERS
from commitments.engine.types import VERIFIABLE, CommitmentSpan

COVER = 0.6
MAX_LENGTH_RATIO = 3.0
HIT_COVER = 0.8  # share of a gold evidence string's characters a passage must hold, in order
MIN_CUT_CLAUSE = 10  # characters of a passage that is a clause cut out of a gold evidence string
CLAUSE_MARKS = "。；;，,、：:！!？?"


@dataclass
class KindFigures:
    """Concrete precision / recall and the not-a-commitment share among clauses called concrete."""

    name: str
    clauses: int = 0
    called_concrete: int = 0
    right_concrete: int = 0
    gold_concrete: int = 0
    not_commitment_called: int = 0

    def merge(self, other: KindFigures) -> None:
        self.clauses += other.clauses
        self.called_concrete += other.called_concrete
        self.right_concrete += other.right_concrete
        self.gold_concrete += other.gold_concrete
        self.not_commitment_called += other.not_commitment_called

    def add(self, label: str, called: str) -> None:
        self.clauses += 1
        self.gold_concrete += label == "concrete"
        if called == "concrete":
            self.called_concrete += 1
            self.right_concrete += label == "concrete"
            self.not_commitment_called += label == NOT_COMMITMENT

    @property
    def precision(self) -> float | None:
        return self.right_concrete / self.called_concrete if self.called_concrete else None

    @property
    def recall(self) -> float | None:
        return self.right_concrete / self.gold_concrete if self.gold_concrete else None

    @property
    def not_commitment_share(self) -> float | None:
        return self.not_commitment_called / self.called_concrete if self.called_concrete else None

    def as_dict(self) -> dict:
        def r(v):
            return None if v is None else round(v, 3)

        return {
            "clauses": self.clauses,
            "concrete_precision": r(self.precision),
            "concrete_recall": r(self.recall),
            "not_commitment_called_concrete": r(self.not_commitment_share),
        }


@dataclass
class ExtractionScore:
    gold_file: str
    sampled: bool = False  # a sample says nothing of recall or precision
    gold_concrete: int = 0
    found: int = 0
    system_concrete: int = 0
    system_matched: int = 0
    vague_agree: int = 0
    vague_total: int = 0
    missed: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)
    # gold item id -> index of the system commitment that found it
    found_by: dict[str, int] = field(default_factory=dict)
    # system commitment index -> the kind the gold gives it (clause_labels): what the kind call is scored on
    labels: dict[int, str] = field(default_factory=dict)
    kinds: KindFigures = field(default_factory=lambda: KindFigures(""))  # the kind call in use

    @property
    def recall(self) -> float | None:
        return self.found / self.gold_concrete if self.gold_concrete and not self.sampled else None

    @property
    def precision(self) -> float | None:
        return self.system_matched / self.system_concrete if self.system_concrete and not self.sampled else None

    @property
    def vague_accuracy(self) -> float | None:
        return self.vague_agree / self.vague_total if self.vague_total and not self.sampled else None


@dataclass
class MatchingScore:
    evidence_total: int = 0
    hits_at_1: int = 0
    hits_at_3: int = 0
    status_pairs: list[tuple[str, str]] = field(default_factory=list)  # (gold, system) per concrete gold
    errors: list[str] = field(default_factory=list)

    @property
    def precision_at_1(self) -> float | None:
        return self.hits_at_1 / self.evidence_total if self.evidence_total else None

    @property
    def recall_at_3(self) -> float | None:
        return self.hits_at_3 / self.evidence_total if self.evidence_total else None

    @property
    def status_accuracy(self) -> float | None:
        pairs = self.status_pairs
        return sum(g == s for g, s in pairs) / len(pairs) if pairs else None

    @property
    def status_macro_f1(self) -> float | None:
        return macro_f1(self.status_pairs)

    def confusion(self) -> Counter:
        return Counter(self.status_pairs)


@dataclass
class SampleScore:
    """Kinds of the sampled clauses. They were drawn from what the tracker extracted as concrete, so
    the vague and not_commitment shares estimate how often it takes context or rhetoric for one."""

    clauses: int = 0
    vague: int = 0
    not_commitment: int = 0
    found: int = 0  # sampled clauses the engine still extracts (60% cover)

    def _share(self, count: int) -> float | None:
        return count / self.clauses if self.clauses else None

    @property
    def vague_share(self) -> float | None:
        return self._share(self.vague)

    @property
    def not_commitment_share(self) -> float | None:
        return self._share(self.not_commitment)

    @property
    def either_share(self) -> float | None:
        return self._share(self.vague + self.not_commitment)


@dataclass
class FileScore:
    extraction: ExtractionScore
    matching: MatchingScore | None = None
    sample: SampleScore | None = None  # sampled files only
    real: bool = False

    @property
    def sampled(self) -> bool:
        return self.sample is not None


def macro_f1(pairs: list[tuple[str, str]]) -> float | None:
    """Mean F1 over the gold statuses that occur in the gold or the predictions."""
    if not pairs:
        return None
    labels = [s for s in VERIFIABLE if any(s in pair for pair in pairs)]
    scores = []
    for label in labels:
        tp = sum(g == s == label for g, s in pairs)
        fp = sum(s == label and g != label for g, s in pairs)
        fn = sum(g == label and s != label for g, s in pairs)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def _in_order(needle: str, haystack: str) -> int:
    """How many characters of `needle` occur in `haystack` in order (longest common subsequence),
    bit-parallel so that every passage can be compared with every gold string."""
    masks: dict[str, int] = {}
    for index, char in enumerate(needle):
        masks[char] = masks.get(char, 0) | 1 << index
    full = (1 << len(needle)) - 1
    row = full
    for char in haystack:
        matched = row & masks.get(char, 0)
        row = ((row + matched) | (row - matched)) & full
    return len(needle) - row.bit_count()


def _squeezed(text: str) -> str:
    return "".join(text.split())


def evidence_hit(passage: str, gold_evidence: Iterable[str]) -> bool:
    """Whether a system evidence passage hits a gold evidence string: it contains one (or 80% of its
    characters, in order), or it is a clause of at least 10 characters cut out of one, since some gold
    strings are whole sentences and the engine proposes clauses. Whitespace is ignored."""
    text = _squeezed(passage)
    clause = text.strip(CLAUSE_MARKS)
    for gold in gold_evidence:
        gold = _squeezed(gold)
        if not gold:
            continue
        if gold in text or (len(clause) >= MIN_CUT_CLAUSE and clause in gold):
            return True
        needed = HIT_COVER * len(gold)
        if len(text) >= needed and _in_order(gold, text) >= needed:
            return True
    return False


def _positions(text: str, start: int, end: int) -> set[int]:
    """Character positions of a span, whitespace ignored."""
    return {i for i in range(start, end) if not text[i].isspace()}


def _gold_spans(plan: str, gold_text: str) -> list[tuple[int, int]]:
    spans, pos = [], plan.find(gold_text)
    while pos != -1:
        spans.append((pos, pos + len(gold_text)))
        pos = plan.find(gold_text, pos + 1)
    return spans


def evaluate_extraction(
    gold: dict, plan_text: str, commitments: list[CommitmentSpan], name: str, *, sampled: bool = False
) -> ExtractionScore:
    score = ExtractionScore(gold_file=name, sampled=sampled)
    system = [(c, _positions(plan_text, c.start, c.end)) for c in commitments]
    gold_items = []
    for item in gold["commitments"]:
        for start, end in _gold_spans(plan_text, item["text"]):
            gold_items.append((item, _positions(plan_text, start, end)))
    for item, chars in gold_items:
        if not chars:
            continue
        best = None
        for index, (_, sys_chars) in enumerate(system):
            if len(chars & sys_chars) >= COVER * len(chars) and len(sys_chars) <= MAX_LENGTH_RATIO * len(chars):
                best = index
                break
        if item.get("id") is not None and best is not None:
            score.found_by.setdefault(item["id"], best)
        if item["kind"] == "concrete":
            score.gold_concrete += 1
            if best is not None:
                score.found += 1
            else:
                score.missed.append(item["text"])
        if best is not None:
            score.vague_total += 1
            score.vague_agree += system[best][0].vague == (item["kind"] == "vague")
    for commitment, sys_chars in system:
        if commitment.vague or not sys_chars:
            continue
        score.system_concrete += 1
        if any(
            len(chars & sys_chars) >= COVER * len(chars) or len(chars & sys_chars) >= COVER * len(sys_chars)
            for _, chars in gold_items
            if chars
        ):
            score.system_matched += 1
        else:
            score.spurious.append(commitment.text)
    score.labels = clause_labels(gold, plan_text, commitments, score.found_by, sampled=sampled)
    for index, label in score.labels.items():
        score.kinds.add(label, "vague" if commitments[index].vague else "concrete")
    return score


def clause_labels(
    gold: dict, plan_text: str, commitments: list[CommitmentSpan], found_by: dict[str, int], *, sampled: bool
) -> dict[int, str]:
    """The gold's kind for each system clause it labels: the kind of the gold item the clause found; in a
    complete file also `not_commitment` for a clause that overlaps no gold item at all (the annotators list
    every clause that states an action or a target). A sample labels only its sampled clauses."""
    labels: dict[int, str] = {}
    for item in gold["commitments"]:
        index = found_by.get(item.get("id"))
        if index is not None:
            labels.setdefault(index, item["kind"])
    if sampled:
        return labels
    gold_chars = [
        _positions(plan_text, s, e) for item in gold["commitments"] for s, e in _gold_spans(plan_text, item["text"])
    ]
    for index, span in enumerate(commitments):
        chars = _positions(plan_text, span.start, span.end)
        if index in labels or not chars:
            continue
        if not any(len(chars & g) >= COVER * len(chars) or len(chars & g) >= COVER * len(g) for g in gold_chars if g):
            labels[index] = NOT_COMMITMENT
    return dict(sorted(labels.items()))


def evaluate_matching(gold: dict, extraction: ExtractionScore, results: list) -> MatchingScore:
    """Evidence P@1 / R@3 and status figures, given one MatchResult per system commitment."""
    score = MatchingScore()
    for item in gold["commitments"]:
        if item["kind"] == NOT_COMMITMENT:
            continue
        index = extraction.found_by.get(item.get("id"))
        result = results[index] if index is not None else None
        if result is not None and item["status"] != "no_evidence":
            score.evidence_total += 1
            texts = [ev.text for ev in result.evidence]
            hit = [evidence_hit(t, item["evidence"]) for t in texts]
            score.hits_at_1 += bool(hit[:1] and hit[0])
            score.hits_at_3 += any(hit[:3])
            if not (hit[:1] and hit[0]):
                score.errors.append(f"[证据] {item['text'][:40]} ⇒ {texts[0][:40] if texts else '（无）'}")
        if item["kind"] == "concrete":
            system_status = result.status if result is not None else "not_found"
            score.status_pairs.append((item["status"], system_status))
            if system_status != item["status"]:
                reason = result.reason if result is not None else "未抽取到"
                score.errors.append(f"[状态] {item['status']}→{system_status} {item['text'][:30]}｜{reason[:60]}")
    return score


def sample_score(gold: dict, extraction: ExtractionScore) -> SampleScore:
    kinds = Counter(item["kind"] for item in gold["commitments"])
    found = sum(item["id"] in extraction.found_by for item in gold["commitments"])
    return SampleScore(sum(kinds.values()), kinds["vague"], kinds[NOT_COMMITMENT], found)


def pooled_extraction(scores: Sequence[FileScore]) -> ExtractionScore:
    """Micro-averaged extraction counts over the complete files (a sample has none)."""
    pooled = ExtractionScore(gold_file="all")
    for score in scores:
        if score.sampled:
            continue
        s = score.extraction
        pooled.gold_concrete += s.gold_concrete
        pooled.found += s.found
        pooled.system_concrete += s.system_concrete
        pooled.system_matched += s.system_matched
        pooled.vague_agree += s.vague_agree
        pooled.vague_total += s.vague_total

    return pooled


def pooled_kinds(scores: Sequence[FileScore], name: str = "all") -> KindFigures:
    """The kind call's counts over the given files, samples included (they are labelled clauses too)."""
    pooled = KindFigures(name)
    for score in scores:
        pooled.merge(score.extraction.kinds)
    return pooled


def pooled_matching(scores: Sequence[FileScore]) -> MatchingScore:
    """Micro-averaged evidence and status figures over the files that were matched."""
    pooled = MatchingScore()
    for score in scores:
        m = score.matching
        if m is None:
            continue
        pooled.evidence_total += m.evidence_total
        pooled.hits_at_1 += m.hits_at_1
        pooled.hits_at_3 += m.hits_at_3
        pooled.status_pairs += m.status_pairs
    return pooled


def pooled_sample(scores: Sequence[FileScore]) -> SampleScore:
    pooled = SampleScore()
    for score in scores:
        if s := score.sample:
            pooled.clauses += s.clauses
            pooled.vague += s.vague
            pooled.not_commitment += s.not_commitment
            pooled.found += s.found
    return pooled


@dataclass
class PreparedGold:
    """A gold file read, its plan analysed and its pair scored up to the model (engine.prepare_pair):
    what `evaluate` scores once and cross-validation scores once per fold."""

    gold_file: GoldFile
    commitments: list[CommitmentSpan]
    extraction: ExtractionScore
    sample: SampleScore | None
    review_sections: list | None = None  # the review sections matched against; None: no matching
    scores: PairScores | None = None

    @property
    def name(self) -> str:
        return self.extraction.gold_file

    def labelled(self) -> list[tuple[int, dict]]:
        """(system commitment row, gold item) for every gold item the extractor found that has a status."""
        return [
            (self.extraction.found_by[item["id"]], item)
            for item in self.gold_file.data["commitments"]
            if item["kind"] != NOT_COMMITMENT and item["id"] in self.extraction.found_by and "status" in item
        ]

    def score(self, results: list | None) -> FileScore:
        score = FileScore(self.extraction, sample=self.sample, real=self.gold_file.real)
        if results is not None:
            score.matching = evaluate_matching(self.gold_file.data, self.extraction, results)
        return score


def prepare_gold(
    path: Path, *, matching: bool = True, use_embeddings: bool | None = None, scored: bool = True
) -> PreparedGold:
    """The plan and the review are each read once and analysed once; `scored=False` stops before
    the engine's first stage (a peer needs only the review sections)."""
    gold_file = load_gold(path)
    gold, year = gold_file.data, gold_file.year
    extraction = analyse_text(gold_file.plan, year=year)
    extraction_score = evaluate_extraction(
        gold, gold_file.plan, extraction.commitments, path.name, sampled=gold_file.sampled
    )
    sample = sample_score(gold, extraction_score) if gold_file.sampled else None
    prepared = PreparedGold(gold_file, list(extraction.commitments), extraction_score, sample)
    if not (matching and gold_file.review is not None and year):
        return prepared
    review_extraction = analyse_text(gold_file.review, year=year + 1)
    indexes = review_sections_for(review_extraction.sections, year=year)
    prepared.review_sections = [review_extraction.sections[i] for i in indexes] or [
        s for s in review_extraction.sections if s.kind == "review"
    ]
    if not scored:
        return prepared
    prepared.scores = prepare_pair(
        prepared.commitments,
        gold_file.review,
        prepared.review_sections,
        corpus=[gold_file.plan, gold_file.review],
        use_embeddings=use_embeddings,
    )
    return prepared


def match_prepared(prepared: PreparedGold, model: MatcherModel, *, use_embeddings: bool = True) -> list | None:
    """The engine's results for a prepared gold pair under `model`; None when it is not matched."""
    if prepared.review_sections is None:
        return None
    if prepared.scores is None:  # a review with no unit to match: every commitment is unreported
        return match_commitments(prepared.commitments, prepared.gold_file.review, [], model=model)
    return decide(prepared.scores if use_embeddings else prepared.scores.lexical(), model)


def evaluate_gold_file(
    path: Path, *, matching: bool = True, use_embeddings: bool | None = None, peer: str | None = None
) -> FileScore:
    """Figures for one gold file under the model in use; `peer` scores a simple baseline (see
    matching/peers.py) instead."""
    if peer:
        prepared = prepare_gold(path, matching=matching, scored=False)
        if prepared.review_sections is None:
            return prepared.score(None)
        review = prepared.gold_file.review
        return prepared.score(PEERS[peer](prepared.commitments, review, prepared.review_sections))
    prepared = prepare_gold(path, matching=matching, use_embeddings=use_embeddings)
    return prepared.score(match_prepared(prepared, current_model()))
