"""`manage.py evaluate GOLD.json...`: the engine's figures against gold files, without the database."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commitments.engine.evaluation import (
    evaluate_gold_file,
    pooled_extraction,
    pooled_kinds,
    pooled_matching,
    pooled_sample,
    prepare_gold,
)
from commitments.engine.learning.crossval import cross_validate
from commitments.engine.learning.fit import TrainingError
from commitments.engine.learning.kinds import CV_MIN_PAIRS as KIND_MIN_PAIRS
from commitments.engine.learning.kinds import cross_validate_kinds, kind_pair, rule_calls
from commitments.engine.learning.kinds import figures as kind_figures
from commitments.engine.matching.model_file import ModelError
from commitments.management.gold import calibration_json, display_width, pad, with_gold, write_reliability

NAME_WIDTH = 30
SAMPLED = "抽样"


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _width(text: str) -> int:
    return display_width(text)


def _left(text: str, width: int) -> str:
    return pad(text, width)


def _right(text: str, width: int) -> str:
    return pad(text, width, right=True)


def _pair_kind(file_score) -> str:
    kind = "真实" if file_score.real else "合成"
    return f"{kind}·{SAMPLED}" if file_score.sampled else kind


class Command(BaseCommand):
    help = (
        "按标注文件评估：承诺抽取（召回率、精确率）、证据（P@1、R@3）与状态（准确率、宏平均F1）；"
        "抽样标注文件另计笼统与非承诺所占比例"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "gold", nargs="+", help="gold JSON files (shared/devset/*.gold.json, shared/devset/sampled/*.gold.json)"
        )
        parser.add_argument("--errors", action="store_true", help="list missed, spurious and wrongly matched items")
        parser.add_argument("--no-embeddings", action="store_true", help="lexical matching only")
        parser.add_argument("--extraction-only", action="store_true", help="skip matching")
        parser.add_argument(
            "--peer", choices=["tfidf", "use"], help="score a simple peer instead of the engine (nearest sentence)"
        )
        parser.add_argument(
            "--cv",
            action="store_true",
            help="leave-one-pair-out: each pair scored by a matcher fitted on the other files (the figures to quote)",
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, **options):
        use_embeddings = False if options["no_embeddings"] else None
        reliability = None
        kind_pairs: dict = {}
        try:
            if options["cv"]:
                if options["peer"] or options["extraction_only"]:
                    raise CommandError("--cv 评估的是学习得到的匹配器，不能与 --peer 或 --extraction-only 同用")
                prepared = [with_gold(name, prepare_gold, use_embeddings=use_embeddings) for name in options["gold"]]
                kind_pairs = {Path(name).name: with_gold(name, kind_pair) for name in options["gold"]}
                cv = cross_validate(prepared, use_embeddings=not options["no_embeddings"], kind_pairs=kind_pairs)
                scores, reliability = cv.scores, cv.reliability
            else:
                scores = [
                    with_gold(
                        name,
                        evaluate_gold_file,
                        matching=not options["extraction_only"],
                        use_embeddings=use_embeddings,
                        peer=options["peer"],
                    )
                    for name in options["gold"]
                ]
        except TrainingError as exc:
            raise CommandError(f"无法交叉验证：{exc}") from exc
        except ModelError as exc:
            raise CommandError(f"匹配模型不可用：{exc}") from exc
        if options["json"]:
            payload = [_as_json(s) for s in scores]
            if reliability is not None:
                payload = {"cv": "leave-one-pair-out", "files": payload, "calibration": calibration_json(reliability)}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        if options["cv"]:
            self.stdout.write("留一对交叉验证：每对由未见过它的模型评分（leave-one-pair-out）\n")
        self._extraction_table(scores, options["errors"])
        if any(s.sampled for s in scores):
            self._sample_table(scores, options["errors"])
        self._kinds_table(scores, list(kind_pairs.values()) if options["cv"] else None)
        if any(s.matching for s in scores):
            self._matching_table(scores, options["errors"])
        if reliability is not None:
            write_reliability(self.stdout, reliability)

    def _extraction_table(self, scores, errors: bool) -> None:
        header = f"{'extraction':30} {'recall':>7} {'found':>9} {'precision':>9} {'matched':>9} {'vague agr.':>10}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for file_score in scores:
            s = file_score.extraction
            if file_score.sampled:  # figures of a sample say nothing of recall or precision
                self.stdout.write(
                    f"{s.gold_file:30} {'—':>7} {_right(SAMPLED, 9)} {'—':>9} {_right(SAMPLED, 9)} {'—':>10}"
                )
                continue
            self.stdout.write(
                f"{s.gold_file:30} {_fmt(s.recall):>7} {s.found:>4}/{s.gold_concrete:<4} {_fmt(s.precision):>9} "
                f"{s.system_matched:>4}/{s.system_concrete:<4} {_fmt(s.vague_accuracy):>10}"
            )
            if errors:
                for text in s.missed:
                    self.stdout.write(f"    missed:   {text[:70]}")
                for text in s.spurious:
                    self.stdout.write(f"    spurious: {text[:70]}")
        pooled = pooled_extraction(scores)
        self.stdout.write("-" * len(header))
        self.stdout.write(
            f"{'all complete (micro)':30} {_fmt(pooled.recall):>7} {pooled.found:>4}/{pooled.gold_concrete:<4} "
            f"{_fmt(pooled.precision):>9} {pooled.system_matched:>4}/{pooled.system_concrete:<4}"
        )
        self.stdout.write("")

    def _kinds_table(self, scores, cv_pairs: list | None) -> None:
        """Concrete precision / recall of the kind call: the model in use, or (with --cv) each pair called by a
        model fitted without it, beside the rules' own call."""
        if cv_pairs is not None:
            pairs = [p for p in cv_pairs if p.labels]
            if len(pairs) < KIND_MIN_PAIRS:
                self.stdout.write(
                    f"kinds: 留一对交叉验证至少需要 {KIND_MIN_PAIRS} 个带类型标注的文件，此处 {len(pairs)} 个\n"
                )
                return
            per, pooled = kind_figures(pairs, cross_validate_kinds(pairs))
            rules_per, rules_pooled = kind_figures(pairs, rule_calls(pairs))
            title = "kinds (leave-one-pair-out)"
        else:
            per = [
                dataclasses.replace(s.extraction.kinds, name=s.extraction.gold_file.removesuffix(".gold.json"))
                for s in scores
            ]
            pooled = pooled_kinds([s for s in scores if s.real], name="合并（真实报告）")
            rules_per, rules_pooled = [None] * len(per), None
            title = "kinds (model in use)"
        header = f"{_left(title, NAME_WIDTH)} {'n':>5} {'conc. P':>8} {'conc. R':>8} {'not_c.':>7} {'rules P':>8} {'rules R':>8}"
        self.stdout.write(header)
        self.stdout.write("-" * _width(header))
        for score, rule in zip([*per, pooled], [*rules_per, rules_pooled], strict=True):
            self.stdout.write(
                f"{_left(score.name, NAME_WIDTH)} {score.clauses:>5} {_fmt(score.precision):>8} {_fmt(score.recall):>8} "
                f"{_fmt(score.not_commitment_share):>7} {_fmt(rule.precision if rule else None):>8} "
                f"{_fmt(rule.recall if rule else None):>8}"
            )
        self.stdout.write(
            "具体承诺精确率 = 判为具体的条款中标注为具体的比例；召回率 = 标注为具体的条款中判为具体的比例；"
            "not_c. = 判为具体的条款中标注为非承诺的比例。"
            + ("" if cv_pairs is not None else "未加 --cv 时模型见过这些文件，数字偏高，勿引用。")
        )
        self.stdout.write("")

    def _sample_table(self, scores, errors: bool) -> None:
        header = f"{_left('sampled clauses (抽样)', NAME_WIDTH)} {'n':>5} {'vague':>7} {'not_comm.':>9} {'either':>7} {'found':>9}"
        self.stdout.write(header)
        self.stdout.write("-" * _width(header))
        for file_score in scores:
            if not file_score.sampled:
                continue
            self._sample_row(file_score.extraction.gold_file, file_score.sample)
            if errors:
                for text in file_score.extraction.missed:
                    self.stdout.write(f"    missed:   {text[:70]}")
        self.stdout.write("-" * _width(header))
        self._sample_row("all sampled (micro)", pooled_sample(scores))
        self.stdout.write(
            "抽样来自系统抽出的非笼统承诺：笼统（vague）与非承诺（not_commitment）所占比例，"
            "估计抽取把背景或套话当成具体承诺的频率；抽样不计抽取召回率与精确率。"
        )
        self.stdout.write("")

    def _sample_row(self, label: str, s) -> None:
        self.stdout.write(
            f"{label:30} {s.clauses:>5} {_fmt(s.vague_share):>7} {_fmt(s.not_commitment_share):>9} "
            f"{_fmt(s.either_share):>7} {s.found:>4}/{s.clauses:<4}"
        )

    def _matching_table(self, scores, errors: bool) -> None:
        header = (
            f"{'matching':30} {'pair':9} {'P@1':>6} {'R@3':>6} {'n':>4} {'status acc':>10} {'macro-F1':>9} {'n':>4}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for file_score in scores:
            m = file_score.matching
            if m is None:
                continue
            self._matching_row(file_score.extraction.gold_file, m, _pair_kind(file_score))
            if errors:
                for line in m.errors:
                    self.stdout.write(f"    {line}")
                self.stdout.write(f"    混淆（标注→系统）：{dict(sorted(m.confusion().items()))}")
        self.stdout.write("-" * len(header))
        complete = [s for s in scores if not s.sampled]
        real = [s for s in scores if s.real]
        if any(s.matching for s in complete):
            self._matching_row("all complete (micro)", pooled_matching(complete))
        if any(s.matching for s in real):
            self._matching_row("all real pairs (micro)", pooled_matching(real))
        self.stdout.write(
            "规则见 shared/devset/README.md：召回率按具体承诺计，精确率按未标为笼统的系统承诺计；"
            "证据按找到的承诺计，状态按全部具体承诺计（未找到的算错）；"
            "真实 = 回顾不是 *.synthetic.txt（all real pairs 含抽样文件）。"
        )

    def _matching_row(self, label: str, m, pair: str = "") -> None:
        self.stdout.write(
            f"{label:30} {_left(pair, 9)} {_fmt(m.precision_at_1):>6} {_fmt(m.recall_at_3):>6} "
            f"{m.evidence_total:>4} {_fmt(m.status_accuracy):>10} {_fmt(m.status_macro_f1):>9} "
            f"{len(m.status_pairs):>4}"
        )


def _as_json(file_score) -> dict:
    s, m = file_score.extraction, file_score.matching
    payload = {
        "gold": s.gold_file,
        "sampled": file_score.sampled,
        "real": file_score.real,
        "extraction_recall": s.recall,
        "extraction_precision": s.precision,
        "vague_agreement": s.vague_accuracy,
        "concrete_precision": s.kinds.precision,
        "concrete_recall": s.kinds.recall,
        "not_commitment_called_concrete": s.kinds.not_commitment_share,
    }
    if file_score.sample is None:
        payload |= {
            "gold_concrete": s.gold_concrete,
            "found": s.found,
            "system_concrete": s.system_concrete,
            "system_matched": s.system_matched,
        }
    else:  # counts against a sample are no extraction figures
        sample = file_score.sample
        payload |= {
            "sampled_clauses": sample.clauses,
            "sampled_vague_share": sample.vague_share,
            "sampled_not_commitment_share": sample.not_commitment_share,
            "sampled_found": sample.found,
        }
    if m is not None:
        payload |= {
            "evidence_p_at_1": m.precision_at_1,
            "evidence_r_at_3": m.recall_at_3,
            "evidence_n": m.evidence_total,
            "status_accuracy": m.status_accuracy,
            "status_macro_f1": m.status_macro_f1,
            "status_n": len(m.status_pairs),
        }
    return payload
