import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vivold.settings")

app = Celery("vivold")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
