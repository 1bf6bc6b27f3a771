"""Logs: the request id travels with the request, and Celery task failures
name the ids they were given, never an email address."""

import json
import logging
import subprocess
import sys
import time

import pytest
from django.urls import reverse

from core.observability import JsonFormatter, RequestIdFilter
from newsletter.models import Subscriber

from .failing_tasks import subscriber_mail_task
from .helpers import BASE_DIR, production_env

ADDRESS = "private.person@example.org"


def formatted(records: list[logging.LogRecord]) -> list[dict]:
    formatter, context = JsonFormatter(), RequestIdFilter()
    lines = []
    for record in records:
        context.filter(record)
        line = formatter.format(record)
        assert "\n" not in line
        lines.append(json.loads(line))
    return lines


@pytest.mark.django_db
def test_a_failed_task_is_logged_with_ids_and_no_email_address(caplog):
    subscriber = Subscriber.objects.create(email=ADDRESS)
    caplog.set_level(logging.INFO)
    # As a worker runs it: the failure is recorded, not raised to the caller.
    result = subscriber_mail_task.apply(
        args=(subscriber.pk, ADDRESS), kwargs={"note": "long free text " * 10}, throw=False
    )
    assert result.failed()
    failures = [r for r in caplog.records if r.name == "vivold.tasks"]
    assert len(failures) == 1
    line = formatted(failures)[0]
    assert line["level"] == "ERROR"
    assert line["task_name"] == "tests.prod.subscriber_mail_task"
    assert line["task_id"]
    assert line["task_args"] == [subscriber.pk, "<email>"]
    assert line["task_kwargs"] == {"note": "<str len=150>"}
    assert "ConnectionRefusedError" in line["message"]
    # Nothing that was logged while the task ran carries the address, once formatted.
    assert ADDRESS not in json.dumps(formatted(caplog.records))


def test_email_addresses_are_redacted_from_messages_and_tracebacks():
    try:
        raise ValueError(f"could not deliver to {ADDRESS}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "mail for %s failed", (ADDRESS,), None)
        import sys

        record.exc_info = sys.exc_info()
    line = formatted([record])[0]
    assert ADDRESS not in json.dumps(line)
    assert line["message"] == "mail for <email> failed"
    assert "could not deliver to <email>" in line["exception"]


@pytest.mark.django_db
def test_each_request_gets_an_id_and_a_given_one_is_kept_when_it_is_sane(client):
    url = reverse("articles:home")
    first, second = client.get(url)["X-Request-ID"], client.get(url)["X-Request-ID"]
    assert first != second and len(first) == 32
    assert client.get(url, headers={"X-Request-ID": "lb-7f3a9c21"})["X-Request-ID"] == "lb-7f3a9c21"
    forged = client.get(url, headers={"X-Request-ID": 'x\n{"level": "forged"}'})["X-Request-ID"]
    assert "forged" not in forged and len(forged) == 32


@pytest.mark.django_db
def test_the_request_log_line_names_the_route_not_the_token(client, caplog):
    caplog.set_level(logging.INFO, logger="vivold.request")
    client.get(reverse("newsletter:confirm", args=["secret-token-value"]))
    (line,) = formatted([r for r in caplog.records if r.name == "vivold.request"])
    assert line["route"] == "/newsletter/confirm/<str:token>/"
    assert "secret-token-value" not in json.dumps(line)


@pytest.mark.django_db
def test_djangos_own_request_warnings_carry_the_request_id(client, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    (line,) = formatted([r for r in caplog.records if r.name == "django.request"])
    assert line["request_id"] == response["X-Request-ID"]


@pytest.mark.redis
@pytest.mark.worker
def test_a_real_worker_logs_the_failure_as_json_without_the_address(tmp_path, settings):
    env = production_env(tmp_path, REDIS_URL=settings.REDIS_URL)
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "vivold", "worker", "--pool", "solo", "--without-heartbeat",
             "--without-gossip", "--without-mingle", "-I", "tests.prod.failing_tasks", "--loglevel", "INFO"],
            cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=output,
        )  # fmt: skip
        try:
            result = subscriber_mail_task.delay(4242, ADDRESS)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and "vivold.tasks" not in log.read_text():
                assert worker.poll() is None, log.read_text()
                time.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(timeout=20)
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    (failure,) = [line for line in lines if line["logger"] == "vivold.tasks"]
    assert failure["task_id"] == result.id
    assert failure["task_args"] == [4242, "<email>"]
    assert "ConnectionRefusedError" in failure["message"]
    assert ADDRESS not in text
    # Celery's own failure line is there too, redacted.
    assert any(line["logger"].startswith("celery") and line["level"] == "ERROR" for line in lines)
