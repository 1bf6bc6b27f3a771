"""Fixtures for the digests' tests: two topics, and for delivery a counting SMTP sink and real Celery workers."""

import pytest
from django.conf import settings

from articles.models import Topic

from .smtp_sink import SmtpSink
from .workers import Workers


@pytest.fixture
def topics() -> tuple[Topic, Topic]:
    """Markets and Policy, for editions and readers to choose between."""
    return Topic.objects.create(name="Markets", slug="markets"), Topic.objects.create(name="Policy", slug="policy")


@pytest.fixture
def smtp_sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def workers(transactional_db, smtp_sink, tmp_path):
    """Worker processes on the test database and a clean Redis queue; all killed at the end."""
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    pool = Workers(
        email_url=smtp_sink.url,
        log_dir=tmp_path,
        extra_env={"DIGEST_RETRY_BASE_SECONDS": "0.5", "DIGEST_RETRY_MAX_SECONDS": "4", "DIGEST_BATCH_SIZE": "50"},
    )
    yield pool
    pool.stop_all()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
