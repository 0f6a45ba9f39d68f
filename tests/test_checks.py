"""The system check warns of an unusable matcher model before any import fails on it."""

from django.core.management import call_command

from commitments.checks import matcher_model_check


def test_a_missing_model_file_is_a_warning_of_the_system_check(tmp_path, monkeypatch):
    monkeypatch.setenv("MATCH_MODEL", str(tmp_path / "none.json"))
    [warning] = matcher_model_check(None)
    assert warning.id == "commitments.W001" and "找不到匹配模型文件" in warning.msg


def test_the_shipped_model_passes_the_check(capsys):
    assert matcher_model_check(None) == []
    call_command("check")
    assert "commitments.W001" not in capsys.readouterr().out


def test_a_broken_kind_model_is_a_warning_and_an_import_says_why(tmp_path, monkeypatch, db):
    from commitments.checks import kind_model_check
    from commitments.services.reports import report_import
    from tests.paths import seed

    broken = tmp_path / "kinds.json"
    broken.write_text('{"format": 1, "version": "x"}', encoding="utf-8")
    monkeypatch.setenv("KIND_MODEL", str(broken))

    [warning] = kind_model_check(None)
    outcome = report_import(path=seed("003"))

    assert warning.id == "commitments.W002" and "承诺类型模型不可用" in warning.msg
    assert outcome.status == "failed" and outcome.reason.startswith("承诺类型模型不可用")


def test_the_shipped_kind_model_passes_the_check():
    from commitments.checks import kind_model_check

    assert kind_model_check(None) == []
