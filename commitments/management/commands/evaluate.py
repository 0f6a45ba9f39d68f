"""`manage.py evaluate GOLD.json...`: the engine's figures against gold files, without the database."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commitments.evaluation import evaluate_gold_file


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = "按标注文件评估抽取效果（召回率、精确率、笼统标记一致率）"

    def add_arguments(self, parser):
        parser.add_argument("gold", nargs="+", help="gold JSON files (shared/devset/*.gold.json)")
        parser.add_argument("--verbose-misses", action="store_true", help="list missed and spurious commitments")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, **options):
        scores = []
        for name in options["gold"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"找不到标注文件：{name}")
            try:
                scores.append(evaluate_gold_file(path))
            except (ValueError, KeyError, json.JSONDecodeError) as exc:
                raise CommandError(f"标注文件无法读取：{name}（{exc}）") from exc
        if options["json"]:
            payload = [
                {
                    "gold": s.gold_file,
                    "extraction_recall": s.recall,
                    "extraction_precision": s.precision,
                    "vague_agreement": s.vague_accuracy,
                    "gold_concrete": s.gold_concrete,
                    "found": s.found,
                    "system_concrete": s.system_concrete,
                    "system_matched": s.system_matched,
                }
                for s in scores
            ]
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        header = f"{'gold file':32} {'recall':>8} {'found':>9} {'precision':>10} {'matched':>9} {'vague agr.':>10}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for s in scores:
            self.stdout.write(
                f"{s.gold_file:32} {_fmt(s.recall):>8} {s.found:>4}/{s.gold_concrete:<4} {_fmt(s.precision):>10} "
                f"{s.system_matched:>4}/{s.system_concrete:<4} {_fmt(s.vague_accuracy):>10}"
            )
            if options["verbose_misses"]:
                for text in s.missed:
                    self.stdout.write(f"    missed:   {text[:70]}")
                for text in s.spurious:
                    self.stdout.write(f"    spurious: {text[:70]}")
        found = sum(s.found for s in scores)
        gold = sum(s.gold_concrete for s in scores)
        matched = sum(s.system_matched for s in scores)
        system = sum(s.system_concrete for s in scores)
        self.stdout.write("-" * len(header))
        self.stdout.write(
            f"{'all (micro)':32} {_fmt(found / gold if gold else None):>8} {found:>4}/{gold:<4} "
            f"{_fmt(matched / system if system else None):>10} {matched:>4}/{system:<4}"
        )
        self.stdout.write("提示：召回率按具体承诺计；精确率按系统未标为笼统的承诺计（规则见 shared/devset/README.md）")
