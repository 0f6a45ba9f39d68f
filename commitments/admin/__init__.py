"""The Chinese admin, one module per model family; importing them here registers them (autodiscovery)."""

from commitments.admin import assessments, bureaus, commitments, reports, runs  # noqa: F401
