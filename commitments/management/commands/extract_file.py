"""`manage.py extract_file FILE [--json]`: the engine on one file, without touching the database."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commitments.engine import analyse as engine
from commitments.engine.ingest.readers import ReportReadError, read_report
from commitments.services.reports import InvalidYear, year_check

logger = logging.getLogger(__name__)

KIND_LABELS = {"review": "工作回顾", "plan": "工作计划", "other": "其他"}


class Command(BaseCommand):
    help = "读取一个报告文件，列出其部分与承诺（不写数据库）"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--json", action="store_true", dest="as_json", help="输出 JSON")
        parser.add_argument("--year", help="报告年份提示；正文写明的年份优先")

    def handle(self, *args, file, as_json=False, year=None, **options):
        try:
            year = year_check(year)
        except InvalidYear as exc:
            raise CommandError(str(exc)) from None
        try:
            document = read_report(file, max_bytes=settings.REPORT_MAX_BYTES)
        except ReportReadError as exc:
            raise CommandError(f"{file}：{exc.reason}") from None
        except OSError as exc:
            raise CommandError(f"{file}：无法打开文件（{exc.strerror or exc}）") from None
        try:
            result = engine.analyse_text(document.text, title=document.title, year=year, published=document.published)
        except Exception as exc:
            logger.exception("engine failed on %s", file)
            raise CommandError(f"{file}：抽取引擎出错（{type(exc).__name__}: {exc}）") from None

        if as_json:
            self.stdout.write(_as_json(file, document, result))
        else:
            self.stdout.write(_as_listing(file, document, result))


def _as_json(file, document, result) -> str:
    payload = {
        "file": str(file),
        "title": document.title,
        "format": document.format,
        "encoding": document.encoding,
        "published": document.published.isoformat() if document.published else None,
        "report_year": result.report_year,
        "engine_version": engine.engine_version(),
        "warnings": [*document.warnings, *result.warnings],
        "sections": [span.as_dict() for span in result.sections],
        "commitments": [{**span.as_dict(), "section": span.section_index} for span in result.commitments],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def _as_listing(file, document, result) -> str:
    lines = [
        f"文件：{file}（{document.format}，{document.encoding}）",
        f"标题：{document.title or '（无）'}",
        f"报告年份：{result.report_year or '未知'}",
    ]
    lines += [f"提示：{w}" for w in [*document.warnings, *result.warnings]]
    lines.append(f"\n部分（{len(result.sections)}）：")
    for index, span in enumerate(result.sections, 1):
        year = f"{span.year}年" if span.year else "年份未知"
        lines.append(
            f"  {index}. {KIND_LABELS.get(span.kind, span.kind)} {year}{span.period or ''}"
            f"「{span.heading}」 [{span.start}–{span.end}]"
        )
    lines.append(f"\n承诺（{len(result.commitments)}）：")
    for index, span in enumerate(result.commitments, 1):
        notes = []
        if span.vague:
            notes.append("表述笼统")
        if span.documents:
            notes.append("文件：" + "、".join(f"《{d}》" if not d.startswith("《") else d for d in span.documents))
        if span.targets:
            notes.append("目标：" + "、".join(t.text for t in span.targets))
        if span.deadline:
            notes.append(f"时限：{span.deadline}")
        topic = " > ".join(span.topic_path)
        lines.append(f"  {index}. {span.text}")
        if topic:
            lines.append(f"     主题：{topic}")
        if notes:
            lines.append(f"     {'；'.join(notes)}")
    return "\n".join(lines)
