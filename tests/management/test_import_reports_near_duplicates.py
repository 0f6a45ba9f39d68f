"""`import_reports --near-duplicates ask|replace|keep`: a near-copy of an imported report is listed, not
imported, unless the analyst says it replaces the report or is another one."""

from io import StringIO

import pytest
from django.core.management import call_command

from commitments.models import Commitment, Report

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def lanling_and_a_copy(seed, tmp_path):
    """Seed 003 imported, and a copy of it with one figure changed."""
    run("import_reports", str(seed("003")))
    copy = tmp_path / "兰陵县民政局（修订）.txt"
    copy.write_bytes(seed("003").read_bytes().replace(b"32285", b"32286"))
    return Report.objects.get(), copy


def test_by_default_a_near_copy_is_listed_with_the_reason_and_the_choices(lanling_and_a_copy):
    first, copy = lanling_and_a_copy
    commitments = Commitment.objects.count()

    output = run("import_reports", str(copy))

    assert Report.objects.count() == 1 and Commitment.objects.count() == commitments
    assert "几乎相同" in output and f"#{first.pk}" in output
    assert "--near-duplicates replace" in output and "--near-duplicates keep" in output
    assert "已导入 0" in output and "几乎相同 1" in output


def test_replace_gives_the_report_the_new_text(lanling_and_a_copy):
    first, copy = lanling_and_a_copy

    output = run("import_reports", str(copy), "--near-duplicates", "replace")

    report = Report.objects.get()
    assert report.pk == first.pk and "32286人" in report.text
    assert "已替换 1" in output


def test_keep_imports_a_second_report(lanling_and_a_copy):
    _, copy = lanling_and_a_copy

    output = run("import_reports", str(copy), "--near-duplicates", "keep")

    assert Report.objects.count() == 2
    assert "已导入 1" in output
