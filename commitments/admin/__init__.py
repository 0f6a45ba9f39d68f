"""The Chinese admin, one module per model family; importing them here registers them (autodiscovery)."""

from commitments.admin import assessments, bureaus, commitments, matcher_versions, reports, runs  # noqa: F401
