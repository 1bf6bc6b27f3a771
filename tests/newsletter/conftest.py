"""The real-service fixtures of tests.integration, for this folder's outage and crash tests."""

from tests.integration import celery_beat, celery_env, redis_server, smtp_sink  # noqa: F401
