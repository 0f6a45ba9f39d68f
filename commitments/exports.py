"""Spreadsheet exports that cannot run what a report's text says (CSV/formula injection).

Bureau names, commitments and evidence come from uploaded documents, so a cell may begin with `=`, `+`, `-`,
`@`, a tab or a CR: Excel and LibreOffice read such a CSV cell as a formula, and openpyxl writes such a str
as a formula cell (data_type "f"). A leading `'` makes the text inert in both: spreadsheet programs take it
as "text follows", and openpyxl writes a string cell. Numbers stay numbers.

import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT (4.4) is not used: it only drops a leading `=`
(altering the text, leaving `+`, `-`, `@` live) and turns every cell, numbers and blanks, into a str.
"""

from __future__ import annotations

import re

import tablib
from django_tables2.export import TableExport

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# A plain number cannot be a formula, and import-export renders numbers as text for CSV: "-3" stays.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise(value):
    """The cell value a spreadsheet shows but never evaluates. Text that is quoted and then a trigger gets
    one more quote, so that `unneutralise` gives back exactly what was exported."""
    if isinstance(value, str) and _dangerous(value.lstrip(QUOTE)):
        return QUOTE + value
    return value


def unneutralise(value):
    """What `neutralise` was given: the import reads an exported file back as the text it came from."""
    if isinstance(value, str) and value.startswith(QUOTE) and _dangerous(value.lstrip(QUOTE)):
        return value[1:]
    return value


def neutralise_dataset(dataset: tablib.Dataset) -> tablib.Dataset:
    """A copy of the dataset, headers included, with every cell neutralised."""
    headers = [neutralise(h) for h in dataset.headers] if dataset.headers else None
    rows = [[neutralise(cell) for cell in row] for row in dataset]
    return tablib.Dataset(*rows, headers=headers, title=dataset.title)


class SafeTableExport(TableExport):
    """django-tables2's TableExport for any table: every cell neutralised, whatever the format."""

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        return neutralise_dataset(super().table_to_dataset(table, exclude_columns, dataset_kwargs))


def _dangerous(text: str) -> bool:
    return text.startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text)
