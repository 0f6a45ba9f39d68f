"""`manage.py train_matcher GOLD.json... [--with-decisions]`: fit the matcher and write its model file.

The leave-one-pair-out figures are measured first and stored in the model's manifest and its
MatcherVersion row (模型版本): they are what a model is quoted and compared by, never its fit on its
own training pairs.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from commitments.engine.evaluation import prepare_gold
from commitments.engine.learning.fit import TrainingError
from commitments.management.gold import with_gold, write_reliability
from commitments.services.matcher_versions import matcher_train


class Command(BaseCommand):
    help = (
        "用标注的计划与回顾（及分析员确认的决定）训练匹配器：先做留一对交叉验证，"
        "不低于现用模型才采用并写入模型文件；每次训练记为一条模型版本"
    )

    def add_arguments(self, parser):
        parser.add_argument("gold", nargs="+", help="gold JSON files (shared/devset/*.gold.json, sampled/*.gold.json)")
        parser.add_argument(
            "--with-decisions",
            action="store_true",
            help="also learn from the analysts' confirmed decisions; adopted only if not worse on the gold",
        )
        parser.add_argument("--output", help="model file to write (default: the one the engine reads)")
        parser.add_argument("--user", help="who trains (a username), recorded on the 模型版本 row")

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"没有用户 {options['user']}")
        prepared = [with_gold(name, prepare_gold, use_embeddings=True) for name in options["gold"]]
        self.stdout.write(f"留一对交叉验证：{len(prepared)} 个标注文件…")
        try:
            outcome = matcher_train(
                prepared=prepared,
                with_decisions=options["with_decisions"],
                user=user,
                output=Path(options["output"]) if options["output"] else None,
            )
        except TrainingError as exc:
            raise CommandError(f"无法训练：{exc}") from exc
        pooled = outcome.row.figures["pooled_real"]
        self.stdout.write(
            "真实回顾（合并，留一对）：证据 P@1 {evidence_p_at_1} R@3 {evidence_r_at_3}；"
            "状态准确率 {status_accuracy}，宏平均F1 {status_macro_f1}".format(**pooled)
        )
        if outcome.row.decisions:
            self.stdout.write(f"其中训练数据含分析员确认的决定 {outcome.row.decisions} 条")
        write_reliability(self.stdout, outcome.cv.reliability)
        if outcome.path is None:
            self.stdout.write(self.style.WARNING(f"模型 {outcome.row.version} {outcome.row.verdict}"))
        else:
            self.stdout.write(self.style.SUCCESS(f"模型 {outcome.row.version} 已写入 {outcome.path}"))
