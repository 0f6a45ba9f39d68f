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
