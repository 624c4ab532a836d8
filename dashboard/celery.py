"""The Celery app: Redis broker (CELERY_BROKER_URL, else REDIS_URL), tasks in jobs/tasks.py, beat
dispatching one sync per due tenant. Start with `celery -A dashboard worker` and
`celery -A dashboard beat` (see `make serve`)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
