"""`manage.py match_files PLAN_FILE REVIEW_FILE --year N [--json]`: the matching engine on two files, no database."""

from __future__ import annotations

import json
import logging
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commitments.engine import analyse
from commitments.engine.ingest.readers import ReportReadError, read_report
from commitments.engine.matching import embedding, engine
from commitments.engine.types import PART_LABELS, STATUS_LABELS, Extraction
from commitments.services.reports import InvalidYear, year_check

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "用匹配引擎对照计划文件与回顾文件：为第 N 年计划的每条承诺找出回顾中的证据并给出状态（不写数据库）"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("plan_file", metavar="PLAN_FILE", help="含第 N 年工作计划的报告，或只是计划部分")
        parser.add_argument("review_file", metavar="REVIEW_FILE", help="含第 N 年工作回顾的报告，或只是回顾部分")
        parser.add_argument("--year", required=True, help="计划年份 N")
        parser.add_argument("--json", action="store_true", dest="as_json", help="输出 JSON")
        parser.add_argument("--no-embeddings", action="store_true", help="不用语义向量，只用词语与数字比对")

    def handle(self, *args, plan_file, review_file, year, as_json=False, no_embeddings=False, **options):
        if not no_embeddings and settings.MATCH_EMBEDDINGS:
            embedding.preload()  # load the model while the reports are read and segmented
        try:
            year = year_check(year)
        except InvalidYear as exc:
            raise CommandError(str(exc)) from None
        plan_doc, review_doc = _read(plan_file), _read(review_file)
        plan = _analyse(plan_file, plan_doc)
        review = _analyse(review_file, review_doc)
        if any(s.kind == "review" and s.year is None for s in review.sections):
            # `一、过去一年工作回顾`: the year is the report's own year minus one, and that is N + 1.
            review = _analyse(review_file, review_doc, year=year + 1)

        problems = []
        plan_indexes, problem = _plan_sections(plan, year)
        if problem:
            problems.append(f"{plan_file}：{problem}")
        pairs = []
        for index in plan_indexes or [None]:
            period = plan.sections[index].period if index is not None else ""
            review_indexes = engine.review_sections_for(review.sections, year=year, period=period)
            if not review_indexes:
                problems.append(f"{review_file}：{_review_problem(review, year)}")
                break
            pairs.append((index, review_indexes))
        if problems:
            raise CommandError("\n".join(problems))

        rows = []
        corpus = (plan_doc.text, review_doc.text)
        for plan_index, review_indexes in pairs:
            commitments = [c for c in plan.commitments if c.section_index == plan_index]
            try:
                results = engine.match_commitments(
                    commitments,
                    review_doc.text,
                    [review.sections[i] for i in review_indexes],
                    corpus=corpus,
                    use_embeddings=False if no_embeddings else settings.MATCH_EMBEDDINGS,
                )
            except Exception as exc:
                logger.exception("matching engine failed on %s / %s", plan_file, review_file)
                raise CommandError(f"匹配引擎出错（{type(exc).__name__}: {exc}）") from None
            rows.extend(zip(commitments, results, strict=True))

        if as_json:
            self.stdout.write(json.dumps(_as_json(rows), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(_as_listing(plan_file, review_file, year, rows))


def _read(path):
    try:
        return read_report(path, max_bytes=settings.REPORT_MAX_BYTES)
    except ReportReadError as exc:
        raise CommandError(f"{path}：{exc.reason}") from None
    except OSError as exc:
        raise CommandError(f"{path}：无法打开文件（{exc.strerror or exc}）") from None


def _analyse(path, document, *, year: int | None = None) -> Extraction:
    try:
        return analyse.analyse_text(document.text, title=document.title, year=year, published=document.published)
    except Exception as exc:
        logger.exception("extraction failed on %s", path)
        raise CommandError(f"{path}：抽取引擎出错（{type(exc).__name__}: {exc}）") from None


def _years(years) -> str:
    return "、".join(f"{y}年" for y in sorted(set(years)))


def _plan_sections(plan: Extraction, year: int) -> tuple[list[int], str]:
    """The plan sections of year N; a bare plan part whose year the text does not state counts too."""
    plans = [(i, s) for i, s in enumerate(plan.sections) if s.kind == "plan"]
    of_year = [i for i, s in plans if s.year == year]
    if of_year:
        return of_year, ""
    undated = [i for i, s in plans if s.year is None]
    if undated:
        return undated, ""
    if plans:
        return [], f"计划部分的年份是{_years(s.year for _, s in plans)}，不是所要求的{year}年"
    return [], "没有找到工作计划部分"


def _review_problem(review: Extraction, year: int) -> str:
    years = [s.year for s in review.sections if s.kind == "review" and s.year]
    if years:
        return f"回顾部分的年份是{_years(years)}，不是所要求的{year}年"
    return f"没有找到{year}年的工作回顾部分"


def _as_json(rows) -> dict:
    return {
        "commitments": [
            {
                "text": span.text,
                "topic": " > ".join(span.topic_path),
                "vague": span.vague,
                "status": result.status,
                "confidence": round(result.confidence, 4),
                "reason": result.reason,
                "evidence": [item.as_dict() for item in result.evidence],
            }
            for span, result in rows
        ]
    }


def _as_listing(plan_file, review_file, year: int, rows) -> str:
    counts = Counter(result.status for _, result in rows)
    lines = [
        f"计划：{plan_file}（{year}年，{len(rows)} 条承诺）",
        f"回顾：{review_file}",
        "状态：" + "，".join(f"{label} {counts[status]}" for status, label in STATUS_LABELS.items()),
    ]
    for index, (span, result) in enumerate(rows, 1):
        lines.append(
            f"\n{index}. [{STATUS_LABELS.get(result.status, result.status)} {result.confidence:.2f}] {span.text}"
        )
        if span.topic_path:
            lines.append(f"   主题：{' > '.join(span.topic_path)}")
        lines.append(f"   理由：{result.reason}")
        for rank, item in enumerate(result.evidence, 1):
            parts = "、".join(
                f"{PART_LABELS.get(name, name)} {value:+.2f}" for name, value in item.parts.items() if value
            )
            lines.append(f"   证据{rank}（{item.score:.2f}）：{item.text}")
            if parts:
                lines.append(f"          得分构成（对数几率）：{parts}")
    return "\n".join(lines)
