"""Folders and .zip archives as they are downloaded: several files of one report are imported once, a
hostile or broken archive is refused whole with the reason."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.management import call_command

from commitments.engine.ingest.archives import LINK, NOT_ZIP, SAME_NAME, UNSAFE_PATH
from commitments.models import Report
from commitments.services.reports import reports_import_batch
from tests.helpers import paragraphs_of, report_page_html, write_docx
from tests.paths import seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def lexical(settings):
    settings.MATCH_EMBEDDINGS = False


def lanling_files(folder):
    """One report three times, as a county site offers it: the page, its .docx attachment, the text."""
    folder.mkdir(parents=True, exist_ok=True)
    paragraphs = paragraphs_of(seed("003"))
    (folder / "兰陵县民政局2021年工作总结.html").write_text(
        report_page_html(title="兰陵县民政局2021年工作总结和2022年工作打算", paragraphs=paragraphs), encoding="utf-8"
    )
    write_docx(folder / "附件：工作总结.docx", paragraphs)
    (folder / "工作总结.txt").write_bytes(seed("003").read_bytes())
    return folder


def zip_of(entries: dict[str, bytes], *, utf8_names: bool = True) -> bytes:
    """A zip of these members; `utf8_names=False` writes the names in GBK without the UTF-8 flag, as
    Chinese Windows tools do (zipfile cannot: ASCII stand-ins of the same length are swapped afterwards)."""
    buffer, swaps = io.BytesIO(), {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(entries.items()):
            if not utf8_names:
                raw = name.encode("gb18030")
                stand_in = f"@{index}@".encode().ljust(len(raw), b"~")
                swaps[stand_in] = raw
                name = stand_in.decode()
            archive.writestr(name, data)
    data = buffer.getvalue()
    for stand_in, raw in swaps.items():
        assert data.count(stand_in) == 2  # the local header and the central directory
        data = data.replace(stand_in, raw)
    return data


def by_status(outcomes) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for outcome in outcomes:
        found.setdefault(outcome.status, []).append(outcome.source)
    return found


def test_a_downloaded_folder_with_a_page_its_attachment_and_a_text_copy_is_one_report(tmp_path):
    outcomes = reports_import_batch([lanling_files(tmp_path / "下载")])

    statuses = by_status(outcomes)
    assert statuses["imported"] == ["附件：工作总结.docx"]  # the cleanest format first
    assert sorted(statuses["same_report"]) == ["兰陵县民政局2021年工作总结.html", "工作总结.txt"]
    assert Report.objects.count() == 1
    same = [o for o in outcomes if o.status == "same_report"]
    assert all("附件：工作总结.docx" in o.reason and "未重复导入" in o.reason for o in same)


def test_a_zip_of_reports_imports_each_report_once_and_names_its_members(tmp_path):
    files = lanling_files(tmp_path / "files")
    entries = {f"兰陵/{p.name}": p.read_bytes() for p in files.iterdir()}
    entries["中山/中山市民政局.txt"] = seed("001").read_bytes()
    archive = tmp_path / "下载的报告.zip"
    archive.write_bytes(zip_of(entries, utf8_names=False))  # as Chinese Windows tools write names: GBK

    outcomes = reports_import_batch([archive])

    statuses = by_status(outcomes)
    assert sorted(statuses["imported"]) == [
        "下载的报告.zip/中山/中山市民政局.txt",
        "下载的报告.zip/兰陵/附件：工作总结.docx",
    ]
    assert len(statuses["same_report"]) == 2
    assert Report.objects.count() == 2


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ({"../逃出.txt": b"x", "ok.txt": b"y"}, UNSAFE_PATH.format(name="../逃出.txt")),
        ({"/etc/逃出.txt": b"x"}, UNSAFE_PATH.format(name="/etc/逃出.txt")),
        ({"a/报告.txt": b"x", "a/报告.TXT": b"y"}, SAME_NAME.format(name="a/报告.TXT")),
    ],
    ids=["dot-dot", "absolute", "same name twice"],
)
def test_a_hostile_archive_is_refused_whole(tmp_path, entries, reason):
    archive = tmp_path / "x.zip"
    archive.write_bytes(zip_of(entries))

    [outcome] = reports_import_batch([archive])

    assert (outcome.status, outcome.reason) == ("failed", reason)
    assert Report.objects.count() == 0 and not (tmp_path / "逃出.txt").exists()


def test_a_link_inside_an_archive_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("link.txt")
        link.external_attr = (0o120777 << 16) | 0
        archive.writestr(link, "/etc/passwd")
    path = tmp_path / "links.zip"
    path.write_bytes(buffer.getvalue())

    [outcome] = reports_import_batch([path])

    assert outcome.reason == LINK.format(name="link.txt")


def test_a_zip_bomb_and_a_corrupt_zip_are_refused_with_the_reason(tmp_path):
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(zip_of({"a.txt": b"0" * (8 * 1024 * 1024)}))
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 broken")

    outcomes = reports_import_batch([bomb, corrupt])

    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "ZIP 文件中的部件 a.txt 的压缩比为" in outcomes[0].reason
    assert outcomes[1].reason == NOT_ZIP


def test_import_reports_takes_a_zip_and_says_which_files_were_the_same_report(tmp_path, capsys):
    files = lanling_files(tmp_path / "files")
    archive = tmp_path / "兰陵.zip"
    archive.write_bytes(zip_of({p.name: p.read_bytes() for p in files.iterdir()}))

    call_command("import_reports", str(archive))

    out = capsys.readouterr().out
    assert "同一报告" in out and "已导入 1" in out and Report.objects.count() == 1


def test_a_member_that_cannot_be_written_refuses_the_archive(tmp_path):
    archive = tmp_path / "clash.zip"
    archive.write_bytes(zip_of({"a": b"x", "a/b.txt": b"y"}))  # a file where a folder must go

    [outcome] = reports_import_batch([archive])

    assert outcome.status == "failed" and "无法解压" in outcome.reason and Report.objects.count() == 0


def test_an_archive_without_reports_says_so(tmp_path):
    empty = tmp_path / "empty.zip"
    empty.write_bytes(zip_of({}))
    pictures = tmp_path / "other.zip"
    pictures.write_bytes(zip_of({"说明.xlsx": b"PK", "inner.zip": zip_of({"a.txt": b"x"})}))

    outcomes = reports_import_batch([empty, pictures])

    assert [(o.status, o.source) for o in outcomes] == [("failed", "empty.zip"), ("failed", "other.zip")]
    assert all(o.reason.startswith("压缩包中没有可导入的报告文件") for o in outcomes)
