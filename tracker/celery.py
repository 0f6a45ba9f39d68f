"""The Celery app: configured from Django settings (CELERY_* names), tasks found in commitments/tasks.py.

`celery -A tracker worker` runs the jobs, `celery -A tracker beat` sends the periodic ones (their schedule
lives in the database, editable in the admin; `manage.py schedule_ensure` creates it).
"""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def models_load(**kwargs) -> None:
    """Each worker process loads the spaCy pipeline and the embedding model once, before its first job."""
    from commitments.jobs.runs import models_warm

    models_warm()
