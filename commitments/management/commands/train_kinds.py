"""`manage.py train_kinds GOLD.json...`: fit the concrete / vague / not-a-commitment call and write its model.

Leave-one-pair-out figures first (each pair called by a model fitted on the others, its threshold too),
beside the rules' own call, per pair and pooled over the real pairs; they go into the model's manifest.
A new model changes the extraction engine's version, so the periodic check re-extracts the reports
(analysts' own calls are kept).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commitments.engine.learning.kinds import (
    RECALL_TARGET,
    C,
    KindTrainingError,
    cross_validate_kinds,
    figures,
    kind_model_document,
    kind_pair,
    label_counts,
    rule_calls,
)
from commitments.engine.nlp.kinds.model import kind_model_path
from commitments.management.gold import with_gold


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = "用标注文件的承诺类型（具体 / 笼统 / 非承诺）训练类型判断：先做留一对交叉验证，再写入模型文件"

    def add_arguments(self, parser):
        parser.add_argument("gold", nargs="+", help="gold JSON files with kind labels")
        parser.add_argument("--output", help="model file to write (default: the one the engine reads)")
        parser.add_argument("--cv-only", action="store_true", help="print the cross-validated figures, write nothing")

    def handle(self, *args, **options):
        pairs = [with_gold(name, kind_pair) for name in options["gold"]]
        pairs = [p for p in pairs if p.labels]
        counts = label_counts(pairs)
        self.stdout.write(
            f"{len(pairs)} 个文件，{sum(counts.values())} 条带类型的条款：{dict(counts)}；留一对交叉验证…"
        )
        try:
            learned = cross_validate_kinds(pairs)
        except KindTrainingError as exc:
            raise CommandError(f"无法训练：{exc}") from exc
        rules_per, rules_pooled = figures(pairs, rule_calls(pairs))
        per, pooled = figures(pairs, learned)
        self.stdout.write("文件                      条款  规则 精确率/召回率   学习（留一对） 精确率/召回率  非承诺")
        for rule, score in zip([*rules_per, rules_pooled], [*per, pooled], strict=True):
            self.stdout.write(
                f"{score.name:24s} {score.clauses:5d}  {_pct(rule.precision)} / {_pct(rule.recall)}"
                f"      {_pct(score.precision)} / {_pct(score.recall)}   {_pct(score.not_commitment_share)}"
            )
        if options["cv_only"]:
            return
        manifest = {
            "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "gold_files": [p.name for p in pairs],
            "labels": dict(counts),
            "C": C,
            "recall_target": RECALL_TARGET,
            "cv_pooled_real": pooled.as_dict(),
            "rules_pooled_real": rules_pooled.as_dict(),
            "cv_per_file": {s.name: s.as_dict() for s in per},
        }
        document = kind_model_document(pairs, manifest=manifest)
        path = Path(options["output"]) if options["output"] else kind_model_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as out:
            json.dump(document, out, ensure_ascii=False, separators=(",", ":"))
        os.chmod(out.name, 0o644)  # read by the web and worker processes, whoever they run as
        os.replace(out.name, path)
        self.stdout.write(
            self.style.SUCCESS(
                f"类型模型 {document['version']} 已写入 {path}（阈值 P(具体) ≥ {document['threshold']:.3f}）"
            )
        )
