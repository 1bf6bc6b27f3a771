"""A task that fails the way mail delivery fails: its arguments hold an id and an address."""

from vivold.celery import app


@app.task(name="tests.prod.subscriber_mail_task")
def subscriber_mail_task(subscriber_id: int, email: str, note: str = "") -> None:
    raise ConnectionRefusedError(f"SMTP refused recipient {email}")
