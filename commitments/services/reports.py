"""Writes: importing reports, (re)extracting their commitments, setting up roles and the demo.

The only layer that combines the engine with the ORM. Every write of one report happens in one
transaction, after the engine has run, so that a failure anywhere leaves no rows behind.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, models, transaction

from commitments.engine import analyse as engine
from commitments.engine.ingest.bureau import bureau_region, detect_bureau
from commitments.engine.ingest.readers.base import ReadInterrupted
from commitments.engine.nlp.kinds.model import KindModelError
from commitments.models import Bureau, Commitment, Report
from commitments.selectors.reports import NearDuplicate, report_near_duplicates
from commitments.services.assessments import evidence_places_follow
from commitments.services.busy import BUSY_MESSAGE, database_busy
from commitments.services.extraction import ENGINE_WARNING, extraction_save, reextraction_save
from commitments.services.matching import commitments_match_for_report, matcher_problem

logger = logging.getLogger(__name__)
# The readers (lxml, pypdf, python-docx, olefile: ~0.5 s) are imported in the functions that read files,
# not here, so that every web process and manage.py command does not pay for them at start.
# Unconfigured logging must not print tracebacks at the user; settings' LOGGING decides where they go.

PLACEHOLDER_BUREAU = "未署名单位（待确认）"
YEAR_MIN = 1949
YEAR_MAX = 2100

READ_WARNING = "读取："

# The steps of an import, as a job's progress names them; a progress callback may stop the import
# (ImportCancelled) when told of any step before the write.
STEP_READ, STEP_EXTRACT, STEP_WRITE, STEP_MATCH = "读取文件", "识别结构、抽取承诺", "写入数据库", "匹配回顾"
IMPORT_STEPS = (STEP_READ, STEP_EXTRACT, STEP_WRITE, STEP_MATCH)
Progress = Callable[[str], None]


class ImportCancelled(ReadInterrupted):
    """Raised by a progress callback: the requester cancelled the import before anything was written."""


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", "已导入"
    UNCHANGED = "unchanged", "未变化"
    FAILED = "failed", "失败"
    NEAR_DUPLICATE = "near_duplicate", "几乎相同"
    REPLACED = "replaced", "已替换"
    SAME_REPORT = "same_report", "同一报告"  # another file (format, attachment) of a report this run imported


class NearDuplicates(models.TextChoices):
    """What an import does with a text nearly the same as a report of its bureau (or from a file of the
    same name): a second copy would count the bureau's commitments twice on the scorecards."""

    ASK = "ask", "询问"  # write nothing; the outcome names the report and the similarity
    REPLACE = "replace", "替换为新版本"  # the text becomes the new version of that report
    KEEP = "keep", "保留两份"  # the analyst says they are different reports


@dataclass(frozen=True)
class ImportOutcome:
    status: ImportStatus
    source: str  # the file name, as the user knows it
    report: Report | None = None
    reason: str = ""  # why it failed, or the warnings of an import, in Chinese
    sections: int = 0
    commitments: int = 0
    existing: Report | None = None  # near_duplicate: the imported report this text may be a version of
    similarity: float | None = None  # near_duplicate, replaced: how alike the two texts are (0–1)
    needs_ocr: bool = False  # failed: a scan, to be read by OCR in a job

    @property
    def status_label(self) -> str:
        return ImportStatus(self.status).label

    @property
    def bureau_name(self) -> str:
        report = self.report or self.existing
        return report.bureau.name if report else ""

    @property
    def year(self) -> int | None:
        report = self.report or self.existing
        return report.year if report else None


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
    near_duplicates: str = NearDuplicates.ASK,
    near_duplicate_of: int | None = None,
) -> ImportOutcome:
    """Import one report file; bad input becomes a "failed" outcome, never an exception.

    `near_duplicates` says what to do with a near-copy of a report of the bureau (NearDuplicates);
    with "replace", `near_duplicate_of` is the report the analyst was shown: only that one is replaced,
    and should another be the near-copy now, the question comes back.
    """
    from commitments.engine.ingest.readers import read_report

    path = Path(path)
    if not path.is_file():
        reason = "是文件夹，不是文件" if path.is_dir() else "文件不存在"
        return ImportOutcome(status=ImportStatus.FAILED, source=path.name or str(path), reason=reason)
    return _import(
        source=path.name,
        read=lambda: read_report(path, max_bytes=settings.REPORT_MAX_BYTES, limits=_read_limits(ocr=True)),
        bureau_name=bureau_name,
        year=year,
        imported_by=imported_by,
        near_duplicates=near_duplicates,
        near_duplicate_of=near_duplicate_of,
    )


def report_import_bytes(
    *,
    data: bytes,
    filename: str,
    bureau_name: str | None = None,
    year: int | None = None,
    imported_by: AbstractBaseUser | None = None,
    near_duplicates: str = NearDuplicates.ASK,
    near_duplicate_of: int | None = None,
    progress: Progress | None = None,
    ocr: bool = False,
) -> ImportOutcome:
    """Import an uploaded report; the same rules as `report_import`. `progress` is told each step (IMPORT_STEPS)
    as it starts, and may raise ImportCancelled before the write: nothing is written then. A scan is read
    by OCR only with `ocr` (a job); otherwise the outcome fails with `needs_ocr`, for the caller to hand over."""
    from commitments.engine.ingest.readers import read_report_bytes

    return _import(
        source=Path(filename).name,
        read=lambda: read_report_bytes(
            data, filename=filename, max_bytes=settings.REPORT_MAX_BYTES, limits=_read_limits(ocr=ocr)
        ),
        bureau_name=bureau_name,
        year=year,
        imported_by=imported_by,
        near_duplicates=near_duplicates,
        near_duplicate_of=near_duplicate_of,
        progress=progress,
    )


# Which of several files of one report (a page and its attachment, the same text as .docx and .pdf) is
# imported: the cleanest text first; the others are then recognised as the same report.
EMPTY_ARCHIVE = "压缩包中没有可导入的报告文件（txt、html、docx、doc、wps、pdf、ofd 或扫描页图片）"
FORMAT_PREFERENCE = (".docx", ".doc", ".wps", ".ofd", ".pdf", ".html", ".htm", ".txt")


def report_files_collect(paths: Iterable[str | Path]) -> list[Path]:
    """The files to import: files as given, folders searched recursively for supported formats and .zip
    archives; within a folder the cleanest format of a name comes first (FORMAT_PREFERENCE)."""
    from commitments.engine.ingest.readers import SUPPORTED_EXTENSIONS

    extensions = {ext.lower() if ext.startswith(".") else f".{ext.lower()}" for ext in SUPPORTED_EXTENSIONS}
    extensions.add(".zip")
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in extensions and _visible(p.relative_to(path))
            ]
            files.extend(sorted(found, key=_preference))
        else:
            files.append(path)
    return files


def _preference(path: Path) -> tuple:
    suffix = path.suffix.lower()
    rank = FORMAT_PREFERENCE.index(suffix) if suffix in FORMAT_PREFERENCE else len(FORMAT_PREFERENCE)
    return (str(path.parent), rank, path.name)


def _import(
    *,
    source: str,
    read: Callable,
    bureau_name: str | None,
    year: int | None,
    imported_by: AbstractBaseUser | None,
    near_duplicates: str = NearDuplicates.ASK,
    near_duplicate_of: int | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    from commitments.engine.ingest.readers import ReportReadError

    step = progress or (lambda _step: None)
    choice = NearDuplicates(near_duplicates)  # ValueError: a caller's mistake, not the user's
    try:
        year = year_check(year)
    except InvalidYear as exc:
        return ImportOutcome(status=ImportStatus.FAILED, source=source, reason=str(exc))
    step(STEP_READ)
    try:
        document = read()
    except ReadInterrupted:
        raise
    except ReportReadError as exc:
        from commitments.engine.ingest.readers.ocr import NeedsOcr

        logger.info("import of %s refused: %s", source, exc.reason)
        return ImportOutcome(
            status=ImportStatus.FAILED, source=source, reason=exc.reason, needs_ocr=isinstance(exc, NeedsOcr)
        )
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

    name = bureau_name or detect_bureau(text, document.title or "")
    target = None
    if choice != NearDuplicates.KEEP:
        # Before the engine runs: a question for the analyst costs no extraction.
        candidates = report_near_duplicates(bureau_name=name or PLACEHOLDER_BUREAU, text=text, source=source)
        if candidates:
            shown = [c for c in candidates if c.report.pk == near_duplicate_of]
            if choice == NearDuplicates.ASK or (near_duplicate_of is not None and not shown):
                return _near_duplicate(source, candidates[0])
            target = (shown or candidates)[0]

    step(STEP_EXTRACT)
    try:
        result = engine.analyse_text(
            text,
            title=document.title,
            year=year if year is not None or target is None else target.report.year,
            published=document.published,
        )
    except KindModelError as exc:
        logger.error("kind model unusable while importing %s: %s", source, exc)
        return ImportOutcome(status=ImportStatus.FAILED, source=source, reason=f"承诺类型模型不可用：{exc}")
    except Exception as exc:
        logger.exception("engine failed on %s", source)
        return ImportOutcome(
            status=ImportStatus.FAILED, source=source, reason=f"抽取引擎出错（{type(exc).__name__}），详情见日志"
        )
    step(STEP_WRITE)
    if target is not None:
        return _replace(
            target,
            source=source,
            document=document,
            sha256=sha256,
            year=year,
            result=result,
            imported_by=imported_by,
            step=step,
        )

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
                engine_version=engine.engine_version(),
            )
            sections, commitments, _ = extraction_save(report, result)
    except IntegrityError:
        # The same content arrived meanwhile (another import of the same file): not a failure.
        existing = _existing_report(sha256=sha256, bureau_name=name or PLACEHOLDER_BUREAU)
        if existing:
            return _unchanged(source, existing)
        logger.exception("saving %s failed", source)
        return ImportOutcome(status=ImportStatus.FAILED, source=source, reason="写入数据库失败，详情见日志")
    except Exception as exc:
        return _write_failed(source, exc, doing=f"saving {source}")
    notes = [w.split("：", 1)[1] for w in warnings]
    step(STEP_MATCH)
    if _match_after_import(report) is None:
        notes.append(_match_failed_note("导入"))
    return ImportOutcome(
        status=ImportStatus.IMPORTED,
        source=source,
        report=report,
        reason="；".join(notes),
        sections=sections,
        commitments=commitments,
    )


def _near_duplicate(source: str, candidate: NearDuplicate) -> ImportOutcome:
    """Nothing written: the analyst says whether the text replaces that report or is another one."""
    report = candidate.report
    if candidate.similar:
        reason = f"与已导入的报告 #{report.pk}《{report.title}》几乎相同（相似度 {percent(candidate.similarity)}%）"
    else:
        reason = (
            f"与已导入的报告 #{report.pk}《{report.title}》文件名相同（{source}），"
            f"内容有改动（相似度 {percent(candidate.similarity)}%），可能是它的新版本"
        )
    return ImportOutcome(
        status=ImportStatus.NEAR_DUPLICATE,
        source=source,
        reason=reason,
        existing=report,
        similarity=candidate.similarity,
    )


def percent(similarity: float) -> int:
    """Rounded down, so that a text above the threshold never reads as less and a changed one never as 100%."""
    return math.floor(similarity * 100 + 1e-9)


def _replace(
    target: NearDuplicate,
    *,
    source: str,
    document,
    sha256: str,
    year: int | None,
    result: engine.Extraction,
    imported_by: AbstractBaseUser | None,
    step: Progress,
) -> ImportOutcome:
    """The text becomes a new version of the report: the same row, so that no scorecard counts two versions.

    The text, its metadata and the extraction change in one transaction, as a re-extraction does: a
    commitment found again keeps its row and its assessment, an analyst's decision is never lost.
    """
    fields = ["title", "source", "source_format", "encoding", "published", "text", "sha256", "warnings"]
    try:
        with transaction.atomic():
            report = Report.objects.select_for_update().select_related("bureau").get(pk=target.report.pk)
            report.title = (document.title or Path(source).stem)[:500]
            report.source = source[:500]
            report.source_format = (document.format or "")[:10]
            report.encoding = (document.encoding or "")[:20]
            report.published = document.published
            report.text = document.text
            report.sha256 = sha256
            report.warnings = [READ_WARNING + w for w in document.warnings]
            if year is not None:
                report.year = year
                fields.append("year")
            if imported_by is not None:
                report.imported_by = imported_by
                fields.append("imported_by")
            report.save(update_fields=fields)
            sections, commitments = reextraction_save(report, result)
            evidence_places_follow(report)
    except Report.DoesNotExist:
        return ImportOutcome(
            status=ImportStatus.FAILED, source=source, reason="要替换的报告已被删除，未写入任何内容，请重新导入"
        )
    except IntegrityError:
        # The same content arrived meanwhile under this bureau: not a failure.
        existing = Report.objects.filter(bureau_id=target.report.bureau_id, sha256=sha256).first()
        if existing:
            return _unchanged(source, existing)
        logger.exception("replacing report %s by %s failed", target.report.pk, source)
        return ImportOutcome(status=ImportStatus.FAILED, source=source, reason="写入数据库失败，详情见日志")
    except Exception as exc:
        return _write_failed(source, exc, doing=f"replacing report {target.report.pk} by {source}")
    notes = [f"已用新版本替换报告 #{report.pk}（相似度 {percent(target.similarity)}%）"]
    notes += [w.split("：", 1)[1] for w in report.warnings]
    step(STEP_MATCH)
    if _match_after_import(report) is None:
        notes.append(_match_failed_note("替换"))
    return ImportOutcome(
        status=ImportStatus.REPLACED,
        source=source,
        report=report,
        reason="；".join(notes),
        sections=sections,
        commitments=commitments,
        similarity=target.similarity,
    )


def _write_failed(source: str, exc: Exception, *, doing: str) -> ImportOutcome:
    """A write that failed: nothing of it was kept (one transaction); a busy database is said as such."""
    if database_busy(exc):
        logger.warning("%s failed, database busy: %s", doing, exc)
        return ImportOutcome(status=ImportStatus.FAILED, source=source, reason=f"{BUSY_MESSAGE}（未写入任何内容）")
    logger.exception("%s failed", doing)
    return ImportOutcome(
        status=ImportStatus.FAILED, source=source, reason=f"写入数据库失败（{type(exc).__name__}），详情见日志"
    )


def _match_after_import(report: Report):
    # The new report may hold the review of an earlier plan, or a plan whose review is already here.
    return commitments_match_for_report(report=report)


def _match_failed_note(doing: str) -> str:
    problem = matcher_problem()
    if problem:
        return f"未能匹配：{problem}；{doing}不受影响，修好模型后用 rematch 重新匹配"
    return f"承诺匹配出错，详情见日志；{doing}不受影响，可稍后用 rematch 重新匹配"


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


def _visible(path: Path) -> bool:
    return not any(part.startswith(".") for part in path.parts)


def _read_limits(*, ocr: bool = False):
    """The readers' input limits as the settings give them (the engine knows nothing of Django); `ocr`:
    scans are read by OCR here (a job, the command line), never inside a web request."""
    from commitments.engine.ingest.readers import ReadLimits

    return ReadLimits(
        ocr_max_pages=settings.REPORT_OCR_MAX_PAGES if ocr else 0,
        max_chars=settings.REPORT_MAX_CHARS,
        html_max_depth=settings.REPORT_HTML_MAX_DEPTH,
        html_max_nodes=settings.REPORT_HTML_MAX_NODES,
        zip_max_member_bytes=settings.REPORT_ZIP_MAX_MEMBER_BYTES,
        zip_max_ratio=settings.REPORT_ZIP_MAX_RATIO,
        zip_max_total_bytes=settings.REPORT_ZIP_MAX_TOTAL_BYTES,
    )


def reports_import_batch(
    paths: Iterable[str | Path],
    *,
    bureau_name: str | None = None,
    year: int | None = None,
    near_duplicates: str = NearDuplicates.ASK,
    imported_by: AbstractBaseUser | None = None,
    on_file: Callable[[str, int, int], None] | None = None,
) -> list[ImportOutcome]:
    """Import files, folders and .zip archives as they were downloaded, one outcome per file.

    Several files of one report (the page and its .doc, the same text as .docx and .pdf) are imported
    once: a later one with the same or a near-identical text is SAME_REPORT, naming the file that was
    imported. A refused archive is one failed outcome with the reason, and nothing of it is imported.
    `on_file(name, done, total)` is told before each file (a progress bar).
    """
    import tempfile

    from commitments.engine.ingest.archives import unpack_reports
    from commitments.engine.ingest.readers import ReportReadError

    outcomes: list[ImportOutcome] = []
    with tempfile.TemporaryDirectory(prefix="chengnuo-zip-") as scratch:
        files: list[tuple[str, Path]] = []
        for path in report_files_collect(paths):
            if path.suffix.lower() != ".zip":
                files.append((path.name, path))
                continue
            folder = Path(tempfile.mkdtemp(dir=scratch))
            try:
                members = unpack_reports(path, folder, limits=_read_limits())
            except ReportReadError as exc:
                outcomes.append(ImportOutcome(status=ImportStatus.FAILED, source=path.name, reason=exc.reason))
                continue
            unpacked = {target: name for name, target in members}
            inside = [t for t in report_files_collect([folder]) if t.suffix.lower() != ".zip"]  # no nesting
            if not inside:
                outcomes.append(ImportOutcome(status=ImportStatus.FAILED, source=path.name, reason=EMPTY_ARCHIVE))
            for target in inside:
                files.append((f"{path.name}/{unpacked.get(target.resolve(), target.name)}", target))
        imported_here: dict[int, str] = {}
        for done, (label, path) in enumerate(files):
            if on_file is not None:
                on_file(label, done, len(files))
            outcome = report_import(
                path=path,
                bureau_name=bureau_name,
                year=year,
                imported_by=imported_by,
                near_duplicates=near_duplicates,
            )
            outcomes.append(_same_report(dataclasses.replace(outcome, source=label), imported_here))
    return outcomes


def _same_report(outcome: ImportOutcome, imported_here: dict[int, str]) -> ImportOutcome:
    """An outcome seen against what this batch imported: another file of a report it just imported."""
    if outcome.status in (ImportStatus.IMPORTED, ImportStatus.REPLACED):
        imported_here[outcome.report.pk] = outcome.source
        return outcome
    other = outcome.report if outcome.status == ImportStatus.UNCHANGED else outcome.existing
    if (
        other is None
        or other.pk not in imported_here
        or outcome.status
        not in (
            ImportStatus.UNCHANGED,
            ImportStatus.NEAR_DUPLICATE,
        )
    ):
        return outcome
    alike = "内容相同" if outcome.similarity is None else f"相似度 {percent(outcome.similarity)}%"
    return dataclasses.replace(
        outcome,
        status=ImportStatus.SAME_REPORT,
        report=other,
        reason=f"与本次导入的“{imported_here[other.pk]}”是同一报告（{alike}），未重复导入",
        sections=0,
        commitments=0,
    )
