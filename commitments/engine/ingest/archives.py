"""A .zip of downloaded reports, unpacked safely into a folder of one's own.

Checked before anything is written: every member's path stays inside the folder (no absolute paths,
no `..`, no links), the sizes and ratios the directory declares are within the read limits, and the
members are few enough to be reports. Any of these wrong refuses the whole archive, with the reason:
a hostile archive is not half unpacked. Nested archives are not opened.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from commitments.engine.ingest.readers.base import DEFAULT_LIMITS, ReadLimits, ReportReadError
from commitments.engine.ingest.readers.zip_guard import archive_check

MAX_MEMBERS = 2_000
NOT_ZIP = "不是有效的 ZIP 压缩包：文件已损坏或只是改了扩展名"
UNSAFE_PATH = "压缩包中的 {name} 指向压缩包以外的位置（绝对路径或 ../），整个压缩包未导入"
LINK = "压缩包中的 {name} 是链接，整个压缩包未导入"
TOO_MANY = "压缩包中有 {count} 个文件，超过了 {limit} 个的上限"
ENCRYPTED = "压缩包中的 {name} 已加密，无法读取：请解压后再导入"
UNWRITABLE = "压缩包中的 {name} 无法解压（{detail}），整个压缩包未导入：请解压后检查文件名再导入"
SAME_NAME = "压缩包中有两个同名文件 {name}，无法确定导入哪一个，整个压缩包未导入"
_REPACK = "，请解压后检查这些文件再导入"


def _member_path(name: str) -> PurePosixPath | None:
    """The member's path inside the folder, or None when it would leave it."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or any(part == ".." for part in path.parts) or (path.parts and ":" in path.parts[0]):
        return None  # "C:/…" is absolute on the analyst's Windows machine
    return path


def _decoded(info: zipfile.ZipInfo) -> str:
    """Member names without the UTF-8 flag, which zipfile read as cp437: UTF-8 all the same (macOS tools
    leave the flag out), else GBK (Chinese Windows tools)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def unpack_reports(archive_path: Path, folder: Path, *, limits: ReadLimits = DEFAULT_LIMITS) -> list[tuple[str, Path]]:
    """(name inside the archive, unpacked file) for every file of the archive; ReportReadError when the
    archive is refused. `folder` must be empty and the caller's own (a temporary folder)."""
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ReportReadError(NOT_ZIP) from error
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_MEMBERS:
            raise ReportReadError(TOO_MANY.format(count=len(infos), limit=MAX_MEMBERS))
        members, seen = [], set()
        for info in infos:
            name = _decoded(info)
            path = _member_path(name)
            if path is None or not path.parts:
                raise ReportReadError(UNSAFE_PATH.format(name=name))
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ReportReadError(LINK.format(name=name))
            if info.flag_bits & 0x1:
                raise ReportReadError(ENCRYPTED.format(name=name))
            if str(path).casefold() in seen:
                raise ReportReadError(SAME_NAME.format(name=name))
            seen.add(str(path).casefold())
            members.append((name, path, info))
        archive_check(archive, limits, label="ZIP", repack=_REPACK)
        root = folder.resolve()
        unpacked = []
        for name, path, info in members:
            target = (root / Path(*path.parts)).resolve()
            if root not in target.parents:
                raise ReportReadError(UNSAFE_PATH.format(name=name))
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(info))
            except OSError as error:  # a name too long, a file where a folder must go ("a" and "a/b.docx")
                raise ReportReadError(UNWRITABLE.format(name=name, detail=error.strerror or error)) from error
            unpacked.append((name, target))
    return unpacked
