"""The Chinese admin, one module per model family; importing them here registers them (autodiscovery)."""

from commitments.admin import (  # noqa: F401
    assessments,
    bureaus,
    commitments,
    import_jobs,
    matcher_versions,
    reports,
    runs,
)
