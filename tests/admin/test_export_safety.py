"""The rules of commitments/exports.py, which every CSV/XLSX export (the admin's assessments, the
scorecards) goes through: what counts as a formula, what stays as it is, and that the import can undo it."""

from __future__ import annotations

import csv
import io

import pytest
import tablib
from openpyxl import load_workbook

from commitments.exports import neutralise, neutralise_dataset, unneutralise

FORMULAS = ["=1+1", "+86 760", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1", "'=already quoted", "''+x"]
LEFT_ALONE = ["中山市民政局", "新建长者饭堂20个", "a=b", "'quoted but harmless", "", "—", "-3", "+1.5", "-2e3"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_text_starting_like_a_formula_gets_a_leading_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [*LEFT_ALONE, -3, -0.25, 0, None])
def test_numbers_blanks_and_plain_text_are_left_as_they_are(value):
    assert neutralise(value) == value
    assert type(neutralise(value)) is type(value)


@pytest.mark.parametrize("text", FORMULAS + LEFT_ALONE)
def test_unneutralise_gives_back_exactly_what_neutralise_was_given(text):
    assert unneutralise(neutralise(text)) == text


def test_a_neutralised_dataset_writes_no_formula_cell_and_keeps_numbers():
    link = '=HYPERLINK("http://evil.example","点此")'
    dataset = tablib.Dataset([link, -3, 0.5, None], headers=["=a", "b", "c", "d"])

    safe = neutralise_dataset(dataset)

    header, row = load_workbook(io.BytesIO(safe.export("xlsx"))).active.iter_rows()
    assert (header[0].value, header[0].data_type) == ("'=a", "s")
    assert [(cell.value, cell.data_type) for cell in row] == [("'" + link, "s"), (-3, "n"), (0.5, "n"), (None, "n")]
    assert next(csv.reader(io.StringIO(safe.export("csv").splitlines()[1]))) == ["'" + link, "-3", "0.5", ""]
    assert dataset[0][0] == link  # a copy: the table's own dataset is untouched
