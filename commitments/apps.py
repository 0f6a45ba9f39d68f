from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "commitments"
    verbose_name = "工作报告与承诺"

    def ready(self) -> None:
        # Signal receivers that keep the scorecards' tallies true.
        from commitments import checks  # noqa: F401  (registers the system checks)
        from commitments.scorecards import tally  # noqa: F401
