"""The Celery app: Redis broker (CELERY_BROKER_URL, else REDIS_URL), tasks in jobs/tasks.py, beat
dispatching one sync per due tenant. Start with `celery -A dashboard worker` and
`celery -A dashboard beat` (see `make serve`)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
# A malformed broker message is logged and dropped; the worker lives (dashboard/celery_worker.py).
app.conf.worker_consumer = "dashboard.celery_worker:TolerantConsumer"
app.autodiscover_tasks()
