"""The upload page on a near-copy of an imported report: the analyst sees the report and the similarity
and decides (替换为新版本 / 保留两份 / 取消); the upload waits on the server meanwhile, never in the form."""

from __future__ import annotations

import os
import stat
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.models import Commitment, Report
from commitments.services.reports import report_import
from tests.helpers import message_texts
from tests.paths import seed

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/commitments/report/import/"
DECIDE_URL = "/admin/commitments/report/import/decide/"
SESSION_KEY = "report_import_held"


@pytest.fixture
def hold_dir(tmp_path, settings):
    settings.UPLOAD_HOLD_DIR = tmp_path / "held"
    return settings.UPLOAD_HOLD_DIR


@pytest.fixture
def lanling():
    return report_import(path=seed("003")).report


def near_copy() -> SimpleUploadedFile:
    data = seed("003").read_bytes().replace(b"32285", b"32286")
    return SimpleUploadedFile("兰陵县民政局（修订）.txt", data, content_type="text/plain")


def held_files(hold_dir) -> list:
    return sorted(hold_dir.iterdir()) if hold_dir.exists() else []


def ask(client) -> str:
    """Upload the near-copy; returns the token of the held upload."""
    response = client.post(IMPORT_URL, {"file": near_copy(), "bureau": "", "year": ""})
    assert response.status_code == 200
    return response.context["near_duplicate"]["token"]


def test_a_near_copy_shows_the_report_the_similarity_and_three_choices(staff_client, lanling, hold_dir):
    response = staff_client.post(IMPORT_URL, {"file": near_copy(), "bureau": "", "year": ""})

    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("admin:commitments_report_change", args=[lanling.pk]) in html
    assert "相似度" in html and "几乎相同" in html
    for button in ("替换为新版本", "保留两份", "取消"):
        assert button in html
    assert Report.objects.count() == 1
    (held,) = held_files(hold_dir)
    assert stat.S_IMODE(held.stat().st_mode) == 0o600
    assert stat.S_IMODE(hold_dir.stat().st_mode) == 0o700
    token = response.context["near_duplicate"]["token"]
    assert held.name == token and token in staff_client.session[SESSION_KEY]
    assert str(hold_dir) not in html


def test_replace_makes_the_upload_the_new_version_and_forgets_the_held_file(staff_client, lanling, hold_dir):
    commitments = Commitment.objects.count()
    token = ask(staff_client)

    response = staff_client.post(DECIDE_URL, {"token": token, "decision": "replace"})

    assert response.status_code == 302
    assert response.url == reverse("admin:commitments_report_change", args=[lanling.pk])
    report = Report.objects.get()
    assert "32286人" in report.text and Commitment.objects.count() == commitments
    assert any("已用新版本替换" in text for text in message_texts(response))
    assert held_files(hold_dir) == []
    assert token not in staff_client.session.get(SESSION_KEY, {})


def test_keep_imports_a_second_report(staff_client, lanling, hold_dir):
    token = ask(staff_client)

    response = staff_client.post(DECIDE_URL, {"token": token, "decision": "keep"})

    assert response.status_code == 302
    assert Report.objects.count() == 2
    assert held_files(hold_dir) == []


def test_cancel_leaves_nothing_held_and_nothing_written(staff_client, lanling, hold_dir):
    before = (Report.objects.count(), Commitment.objects.count())
    token = ask(staff_client)

    response = staff_client.post(DECIDE_URL, {"token": token, "decision": "cancel"})

    assert response.status_code == 302
    assert (Report.objects.count(), Commitment.objects.count()) == before
    assert held_files(hold_dir) == []
    assert token not in staff_client.session.get(SESSION_KEY, {})
    assert any("已取消" in text for text in message_texts(response))


def test_a_token_from_another_session_is_refused(client, staff_client, lanling, hold_dir, make_user):
    token = ask(staff_client)
    client.force_login(make_user("other", "analyst", [lanling.bureau]))

    response = client.post(DECIDE_URL, {"token": token, "decision": "keep"})

    assert Report.objects.count() == 1
    assert len(held_files(hold_dir)) == 1
    assert any("已处理或已过期" in text for text in message_texts(response))


def test_a_held_upload_older_than_a_day_is_gone(staff_client, lanling, hold_dir):
    token = ask(staff_client)
    old = time.time() - 2 * 24 * 3600
    os.utime(hold_dir / token, (old, old))

    ask(staff_client)  # any new hold clears out the old ones
    assert not (hold_dir / token).exists()
    response = staff_client.post(DECIDE_URL, {"token": token, "decision": "keep"})

    assert Report.objects.count() == 1
    assert any("已过期" in text for text in message_texts(response))


def test_an_analyst_who_may_not_edit_the_report_is_not_offered_to_replace_it(client, lanling, hold_dir, make_user):
    from commitments.models import Bureau

    client.force_login(make_user("qj", "analyst", [Bureau.objects.create(name="潜江市民政局")]))

    response = client.post(IMPORT_URL, {"file": near_copy()})
    html = response.content.decode()
    token = response.context["near_duplicate"]["token"]
    refused = client.post(DECIDE_URL, {"token": token, "decision": "replace"})

    assert "替换为新版本" not in html and lanling.title not in html
    assert refused.status_code == 403
    assert "32285人" in Report.objects.get().text
