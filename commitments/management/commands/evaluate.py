"""`manage.py evaluate GOLD.json...`: the engine's figures against gold files, without the database."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commitments.engine.evaluation import evaluate_gold_file, macro_f1


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = "按标注文件评估：承诺抽取（召回率、精确率）、证据（P@1、R@3）与状态（准确率、宏平均F1）"

    def add_arguments(self, parser):
        parser.add_argument("gold", nargs="+", help="gold JSON files (shared/devset/*.gold.json)")
        parser.add_argument("--errors", action="store_true", help="list missed, spurious and wrongly matched items")
        parser.add_argument("--no-embeddings", action="store_true", help="lexical matching only")
        parser.add_argument("--extraction-only", action="store_true", help="skip matching")
        parser.add_argument(
            "--peer", choices=["tfidf", "use"], help="score a simple peer instead of the engine (nearest sentence)"
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, **options):
        scores = []
        for name in options["gold"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"找不到标注文件：{name}")
            try:
                scores.append(
                    evaluate_gold_file(
                        path,
                        matching=not options["extraction_only"],
                        use_embeddings=False if options["no_embeddings"] else None,
                        peer=options["peer"],
                    )
                )
            except (ValueError, KeyError, json.JSONDecodeError) as exc:
                raise CommandError(f"标注文件无法读取：{name}（{exc}）") from exc
        if options["json"]:
            self.stdout.write(json.dumps([_as_json(s) for s in scores], ensure_ascii=False, indent=2))
            return
        self._extraction_table(scores, options["errors"])
        if any(s.matching for s in scores):
            self._matching_table(scores, options["errors"])

    def _extraction_table(self, scores, errors: bool) -> None:
        header = f"{'extraction':30} {'recall':>7} {'found':>9} {'precision':>9} {'matched':>9} {'vague agr.':>10}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for file_score in scores:
            s = file_score.extraction
            self.stdout.write(
                f"{s.gold_file:30} {_fmt(s.recall):>7} {s.found:>4}/{s.gold_concrete:<4} {_fmt(s.precision):>9} "
                f"{s.system_matched:>4}/{s.system_concrete:<4} {_fmt(s.vague_accuracy):>10}"
            )
            if errors:
                for text in s.missed:
                    self.stdout.write(f"    missed:   {text[:70]}")
                for text in s.spurious:
                    self.stdout.write(f"    spurious: {text[:70]}")
        found = sum(s.extraction.found for s in scores)
        gold = sum(s.extraction.gold_concrete for s in scores)
        matched = sum(s.extraction.system_matched for s in scores)
        system = sum(s.extraction.system_concrete for s in scores)
        self.stdout.write("-" * len(header))
        self.stdout.write(
            f"{'all (micro)':30} {_fmt(found / gold if gold else None):>7} {found:>4}/{gold:<4} "
            f"{_fmt(matched / system if system else None):>9} {matched:>4}/{system:<4}"
        )
        self.stdout.write("")

    def _matching_table(self, scores, errors: bool) -> None:
        header = f"{'matching':30} {'P@1':>6} {'R@3':>6} {'n':>4} {'status acc':>10} {'macro-F1':>9} {'n':>4}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        pairs, hits1, hits3, total = [], 0, 0, 0
        for file_score in scores:
            m = file_score.matching
            if m is None:
                continue
            self.stdout.write(
                f"{file_score.extraction.gold_file:30} {_fmt(m.precision_at_1):>6} {_fmt(m.recall_at_3):>6} "
                f"{m.evidence_total:>4} {_fmt(m.status_accuracy):>10} {_fmt(m.status_macro_f1):>9} "
                f"{len(m.status_pairs):>4}"
            )
            if errors:
                for line in m.errors:
                    self.stdout.write(f"    {line}")
                self.stdout.write(f"    混淆（标注→系统）：{dict(sorted(m.confusion().items()))}")
            pairs += m.status_pairs
            hits1, hits3, total = hits1 + m.hits_at_1, hits3 + m.hits_at_3, total + m.evidence_total
        self.stdout.write("-" * len(header))
        accuracy = sum(g == s for g, s in pairs) / len(pairs) if pairs else None
        self.stdout.write(
            f"{'all (micro)':30} {_fmt(hits1 / total if total else None):>6} {_fmt(hits3 / total if total else None):>6} "
            f"{total:>4} {_fmt(accuracy):>10} {_fmt(macro_f1(pairs)):>9} {len(pairs):>4}"
        )
        self.stdout.write("规则见 shared/devset/README.md：召回率按具体承诺计，精确率按未标为笼统的系统承诺计。")


def _as_json(file_score) -> dict:
    s, m = file_score.extraction, file_score.matching
    payload = {
        "gold": s.gold_file,
        "extraction_recall": s.recall,
        "extraction_precision": s.precision,
        "vague_agreement": s.vague_accuracy,
        "gold_concrete": s.gold_concrete,
        "found": s.found,
        "system_concrete": s.system_concrete,
        "system_matched": s.system_matched,
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
