"""Writes: importing reports, (re)extracting their commitments, setting up roles and the demo.

The only layer that combines the engine with the ORM. Every write of one report happens in one
transaction, after the engine has run, so that a failure anywhere leaves no rows behind.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, models, transaction

from commitments.engine import analyse as engine
from commitments.engine.ingest.bureau import bureau_region, detect_bureau
from commitments.models import Bureau, Commitment, Report, Section
from commitments.services.busy import BUSY_MESSAGE, database_busy
from commitments.services.matching import commitments_match_for_report

logger = logging.getLogger(__name__)
# The readers (lxml, pypdf, python-docx, olefile: ~0.5 s) are imported in the functions that read files,
# not here, so that every web process and manage.py command does not pay for them at start.
# Unconfigured logging must not print tracebacks at the user; settings' LOGGING decides where they go.

PLACEHOLDER_BUREAU = "未署名单位（待确认）"
YEAR_MIN = 1949
YEAR_MAX = 2100

READ_WARNING = "读取："
ENGINE_WARNING = "抽取："


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", "已导入"
    UNCHANGED = "unchanged", "未变化"
    FAILED = "failed", "失败"


@dataclass(frozen=True)
class ImportOutcome:
    status: ImportStatus
    source: str  # the file name, as the user knows it
    report: Report | None = None
    reason: str = ""  # why it failed, or the warnings of an import, in Chinese
    sections: int = 0
    commitments: int = 0

    @property
    def status_label(self) -> str:
        return ImportStatus(self.status).label

    @property
    def bureau_name(self) -> str:
        return self.report.bureau.name if self.report else ""

    @property
    def year(self) -> int | None:
        return self.report.year if self.report else None


@dataclass(frozen=True)
class ReextractOutcome:
    report: Report
    sections: int
    commitments: int


class InvalidYear(ValueError):
    """A year outside the range any report of the PRC can carry."""


def year_check(value: object) -> int | None:
    """The analyst's year as an int, or None when not given; InvalidYear with a Chinese message."""
    if value is None or value == "":
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        raise InvalidYear(f"年份应为数字，收到“{value}”") from None
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise InvalidYear(f"年份应在 {YEAR_MIN}–{YEAR_MAX} 之间，收到 {year}")
    return year


def report_import(
    *,
    path: str | Path,
    bureau_name: str | None = None,
    year: int | None = None,
    imported_by: AbstractBaseUser | None = None,
) -> ImportOutcome:
    """Import one report file; bad input becomes a "failed" outcome, never an exception."""
    from commitments.engine.ingest.readers import read_report

    path = Path(path)
    if not path.is_file():
        reason = "是文件夹，不是文件" if path.is_dir() else "文件不存在"
        return ImportOutcome(status=ImportStatus.FAILED, source=path.name or str(path), reason=reason)
    return _import(
        source=path.name,
        read=lambda: read_report(path, max_bytes=settings.REPORT_MAX_BYTES),
        bureau_name=bureau_name,
        year=year,
        imported_by=imported_by,
    )


def report_import_bytes(
    *,
    data: bytes,
    filename: str,
    bureau_name: str | None = None,
    year: int | None = None,
    imported_by: AbstractBaseUser | None = None,
) -> ImportOutcome:
    """Import an uploaded report; the same rules as `report_import`."""
    from commitments.engine.ingest.readers import read_report_bytes

    return _import(
        source=Path(filename).name,
        read=lambda: read_report_bytes(data, filename=filename, max_bytes=settings.REPORT_MAX_BYTES),
        bureau_name=bureau_name,
        year=year,
        imported_by=imported_by,
    )


def report_reextract(*, report: Report) -> ReextractOutcome:
    """Replace a report's sections and commitments with what the current engine finds.

    Used when the engine changes. Engine errors propagate (the caller, a job, retries); the old rows
    stay until the new ones are ready. A commitment whose text is found again keeps its row, and so
    its assessment and history; one that an analyst decided and that the engine no longer finds is
    kept too, under the new plan section of its year, and the report says so.
    """
    result = engine.analyse_text(report.text, title=report.title, year=report.year, published=report.published)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        old_sections = list(report.sections.all())
        old = {
            (c.section.kind, c.section.year, c.text): c
            for c in Commitment.objects.filter(section__report=report).select_related("section", "assessment")
        }
        sections, commitments, kept = _extraction_save(report, result, reuse=dict(old))
        gone = [c for c in old.values() if c.pk not in kept]
        orphans = [c for c in gone if getattr(getattr(c, "assessment", None), "source", "") == "analyst"]
        Commitment.objects.filter(pk__in=[c.pk for c in gone if c not in orphans]).delete()
        notes = _orphans_keep(report, orphans)
        Section.objects.filter(pk__in=[s.pk for s in old_sections]).exclude(commitments__isnull=False).delete()
        if report.year is None:
            report.year = result.report_year
        report.warnings = [w for w in report.warnings if not w.startswith(ENGINE_WARNING)] + [
            ENGINE_WARNING + w for w in [*result.warnings, *notes]
        ]
        report.engine_version = engine.ENGINE_VERSION
        report.save(update_fields=["year", "warnings", "engine_version"])
    return ReextractOutcome(report=report, sections=sections, commitments=commitments)


def _orphans_keep(report: Report, orphans: list[Commitment]) -> list[str]:
    """Analyst-decided commitments the engine no longer finds: moved under a current section, never lost."""
    notes = []
    for commitment in orphans:
        home = (
            report.sections.filter(kind=commitment.section.kind, year=commitment.section.year)
            .exclude(pk=commitment.section_id)
            .order_by("order")
            .first()
        )
        if home is not None:
            commitment.section = home
            commitment.save(update_fields=["section"])
        notes.append(f"重新抽取后原文中未再识别出“{commitment.text[:30]}”，已保留分析员结论")
    return notes


def report_files_collect(paths: Iterable[str | Path]) -> list[Path]:
    """The files to import: files as given, folders searched recursively for supported formats."""
    from commitments.engine.ingest.readers import SUPPORTED_EXTENSIONS

    extensions = {ext.lower() if ext.startswith(".") else f".{ext.lower()}" for ext in SUPPORTED_EXTENSIONS}
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in extensions and _visible(p.relative_to(path))
                )
            )
        else:
            files.append(path)
    return files


def _import(
    *,
    source: str,
    read: Callable,
    bureau_name: str | None,
    year: int | None,
    imported_by: AbstractBaseUser | None,
) -> ImportOutcome:
    from commitments.engine.ingest.readers import ReportReadError

    try:
        year = year_check(year)
    except InvalidYear as exc:
        return ImportOutcome(status=ImportStatus.FAILED, source=source, reason=str(exc))
    try:
        document = read()
    except ReportReadError as exc:
        logger.info("import of %s refused: %s", source, exc.reason)
        return ImportOutcome(status=ImportStatus.FAILED, source=source, reason=exc.reason)
    except OSError as exc:
        logger.info("import of %s refused: %s", source, exc)
        return ImportOutcome(status=ImportStatus.FAILED, source=source, reason=f"无法打开文件：{exc.strerror or exc}")
    except Exception as exc:
        logger.exception("reader failed on %s", source)
        return ImportOutcome(
            status=ImportStatus.FAILED, source=source, reason=f"读取失败（{type(exc).__name__}），详情见日志"
        )

    text = document.text
    if not text.strip():
        return ImportOutcome(status=ImportStatus.FAILED, source=source, reason="文件中没有正文")
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    bureau_name = (bureau_name or "").strip() or None

    existing = _existing_report(sha256=sha256, bureau_name=bureau_name)
    if existing:
        return _unchanged(source, existing)

    try:
        result = engine.analyse_text(text, title=document.title, year=year, published=document.published)
    except Exception as exc:
        logger.exception("engine failed on %s", source)
        return ImportOutcome(
            status=ImportStatus.FAILED, source=source, reason=f"抽取引擎出错（{type(exc).__name__}），详情见日志"
        )

    name = bureau_name or detect_bureau(text, document.title or "")
    warnings = [READ_WARNING + w for w in document.warnings] + [ENGINE_WARNING + w for w in result.warnings]
    try:
        with transaction.atomic():
            report = Report.objects.create(
                bureau=_bureau_for(name),
                title=(document.title or Path(source).stem)[:500],
                source=source[:500],
                source_format=(document.format or "")[:10],
                encoding=(document.encoding or "")[:20],
                year=year if year is not None else result.report_year,
                published=document.published,
                text=text,
                sha256=sha256,
                warnings=warnings,
                imported_by=imported_by,
                engine_version=engine.ENGINE_VERSION,
            )
            sections, commitments, _ = _extraction_save(report, result)
    except IntegrityError:
        # The same content arrived meanwhile (another import of the same file): not a failure.
        existing = _existing_report(sha256=sha256, bureau_name=name or PLACEHOLDER_BUREAU)
        if existing:
            return _unchanged(source, existing)
        logger.exception("saving %s failed", source)
        return ImportOutcome(status=ImportStatus.FAILED, source=source, reason="写入数据库失败，详情见日志")
    except Exception as exc:
        if database_busy(exc):
            logger.warning("saving %s failed, database busy: %s", source, exc)
            return ImportOutcome(status=ImportStatus.FAILED, source=source, reason=f"{BUSY_MESSAGE}（未写入任何内容）")
        logger.exception("saving %s failed", source)
        return ImportOutcome(
            status=ImportStatus.FAILED, source=source, reason=f"写入数据库失败（{type(exc).__name__}），详情见日志"
        )
    notes = [w.split("：", 1)[1] for w in warnings]
    if _match_after_import(report) is None:
        notes.append("承诺匹配出错，详情见日志；导入不受影响，可稍后用 rematch 重新匹配")
    return ImportOutcome(
        status=ImportStatus.IMPORTED,
        source=source,
        report=report,
        reason="；".join(notes),
        sections=sections,
        commitments=commitments,
    )


def _match_after_import(report: Report):
    # The new report may hold the review of an earlier plan, or a plan whose review is already here.
    return commitments_match_for_report(report=report)


def _existing_report(*, sha256: str, bureau_name: str | None) -> Report | None:
    """The same content already imported: for that bureau, or under any bureau when none is named."""
    reports = Report.objects.select_related("bureau").filter(sha256=sha256)
    if bureau_name:
        reports = reports.filter(bureau__name=bureau_name)
    return reports.order_by("pk").first()


def _unchanged(source: str, report: Report) -> ImportOutcome:
    return ImportOutcome(
        status=ImportStatus.UNCHANGED,
        source=source,
        report=report,
        reason="内容与已导入的报告相同",
        sections=report.sections.count(),
        commitments=Commitment.objects.filter(section__report=report).count(),
    )


def _bureau_for(name: str | None) -> Bureau:
    if not name:
        bureau, _ = Bureau.objects.get_or_create(name=PLACEHOLDER_BUREAU, defaults={"is_placeholder": True})
        return bureau
    region, level = bureau_region(name)
    bureau, _ = Bureau.objects.get_or_create(name=name[:200], defaults={"region": region, "level": level})
    return bureau


def _extraction_save(
    report: Report, result: engine.Extraction, *, reuse: dict | None = None
) -> tuple[int, int, set[int]]:
    """Write sections and commitments; `reuse` maps (kind, year, text) to rows to update in place."""
    reuse = reuse or {}
    sections = [
        Section.objects.create(
            report=report,
            order=index,
            kind=span.kind,
            year=span.year,
            period=(span.period or "")[:20],
            heading=(span.heading or "")[:300],
            start=span.start,
            end=span.end,
        )
        for index, span in enumerate(result.sections)
    ]
    fresh, updated = [], []
    for order, span in enumerate(result.commitments):
        section = sections[span.section_index]
        row = reuse.pop((section.kind, section.year, span.text), None) or Commitment()
        row.section = section
        row.order = order
        row.text = span.text
        row.topic = span.topic[:300]
        row.topic_path = list(span.topic_path)
        row.start, row.end = span.start, span.end
        row.documents = list(span.documents)
        row.targets = [target.as_dict() for target in span.targets]
        row.actions = list(span.actions)
        row.deadline = (span.deadline or "")[:100]
        row.vague = span.vague
        row.engine_version = engine.ENGINE_VERSION
        (updated if row.pk else fresh).append(row)
    Commitment.objects.bulk_create(fresh)
    fields = ["section", "order", "text", "topic", "topic_path", "start", "end", "documents", "targets"]
    fields += ["actions", "deadline", "vague", "engine_version"]
    Commitment.objects.bulk_update(updated, fields, batch_size=500)
    # bulk_create and bulk_update send no signals: the scorecards learn of these rows here.
    Bureau.objects.filter(pk=report.bureau_id).scorecards_mark_stale()
    return len(sections), len(fresh) + len(updated), {row.pk for row in updated}


def _visible(path: Path) -> bool:
    return not any(part.startswith(".") for part in path.parts)
