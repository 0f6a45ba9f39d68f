"""System checks: `manage.py check` (and runserver, migrate…) warn when the matcher's model file is
missing or unreadable, long before an import's matching fails on it. A warning, not an error: reports
can still be imported and read, only matching stops."""

from __future__ import annotations

from django.core.checks import Warning, register

from commitments.engine.matching.model_file import ModelError, model_version


@register()
def matcher_model_check(app_configs, **kwargs):
    try:
        model_version()
    except ModelError as exc:
        return [
            Warning(
                f"匹配模型不可用：{exc}",
                hint="检查 MATCH_MODEL，或运行 manage.py train_matcher 生成模型；在此之前导入的报告不会被匹配。",
                id="commitments.W001",
            )
        ]
    return []


@register()
def kind_model_check(app_configs, **kwargs):
    from commitments.engine.nlp.kinds.model import KindModelError, current_kind_model

    try:
        current_kind_model()
    except KindModelError as exc:
        return [
            Warning(
                f"承诺类型模型不可用：{exc}",
                hint="检查 KIND_MODEL，或运行 manage.py train_kinds 生成模型；在此之前报告无法导入或重新抽取。",
                id="commitments.W002",
            )
        ]
    return []
