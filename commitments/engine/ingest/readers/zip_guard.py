"""Zip containers (.docx, .ofd) checked against the read limits before anything is parsed.

The directory's declared sizes and ratios refuse a bomb before a byte is inflated; then every part is
inflated once, a chunk at a time and never past its bound, so that a directory that lies about a size
cannot make the parser inflate more (zipfile stops at the declared size and then fails the checksum).
"""

from __future__ import annotations

import zipfile

from commitments.engine.ingest.readers.base import ReadLimits, ReportReadError

PART_TOO_LARGE = "{label} 文件中的部件 {name} 解压后有 {size}，超过了每个部件 {limit} 的上限{repack}"
PARTS_TOO_LARGE = "{label} 文件的各部件解压后共有 {size}，超过了 {limit} 的上限{repack}"
PART_RATIO = "{label} 文件中的部件 {name} 的压缩比为 {ratio:.0f} 倍，超过了 {limit} 倍的上限{repack}"
PART_BROKEN = "{label} 文件中的部件 {name} 已损坏，或与压缩包目录记录的大小不符{repack}"

# A part this small cannot hurt however well it compresses, and legitimate parts do compress well:
# a table of 3,000 like rows is a 1.5 MB document.xml at 196 times. Bombs inflate ~1,000 times.
RATIO_FLOOR_BYTES = 5 * 1024 * 1024
_READ_CHUNK = 1024 * 1024


def megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB"


def archive_check(archive: zipfile.ZipFile, limits: ReadLimits, *, label: str, repack: str) -> None:
    """ReportReadError (naming the part and the limit) for a container that is too big, too compressed or
    broken; `label` names the format, `repack` says what the user can do."""
    _check_directory(archive, limits, label=label, repack=repack)
    _check_inflated(archive, limits, label=label, repack=repack)


def _check_directory(archive: zipfile.ZipFile, limits: ReadLimits, *, label: str, repack: str) -> None:
    total = 0
    for info in archive.infolist():
        if info.file_size > limits.zip_max_member_bytes:
            raise ReportReadError(
                PART_TOO_LARGE.format(
                    label=label,
                    name=info.filename,
                    size=megabytes(info.file_size),
                    limit=megabytes(limits.zip_max_member_bytes),
                    repack=repack,
                )
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > limits.zip_max_ratio:
            raise ReportReadError(
                PART_RATIO.format(
                    label=label, name=info.filename, ratio=ratio, limit=limits.zip_max_ratio, repack=repack
                )
            )
        total += info.file_size
    if total > limits.zip_max_total_bytes:
        raise ReportReadError(
            PARTS_TOO_LARGE.format(
                label=label, size=megabytes(total), limit=megabytes(limits.zip_max_total_bytes), repack=repack
            )
        )


def _check_inflated(archive: zipfile.ZipFile, limits: ReadLimits, *, label: str, repack: str) -> None:
    for info in archive.infolist():
        bound = min(info.file_size, limits.zip_max_member_bytes)
        size = 0
        try:
            with archive.open(info) as part:
                while chunk := part.read(_READ_CHUNK):
                    size += len(chunk)
                    if size > bound:
                        break
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as error:
            raise ReportReadError(PART_BROKEN.format(label=label, name=info.filename, repack=repack)) from error
        if size > bound:
            raise ReportReadError(PART_BROKEN.format(label=label, name=info.filename, repack=repack))
