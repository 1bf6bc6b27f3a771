"""An editor sends one article from the admin; real workers deliver it, one of them killed halfway.

Each subscriber whose topics include the article gets it once, daily and weekly alike; the others
get nothing. The edition then shows in the web archive.
"""

import re
import time

import pytest
from django.contrib.auth import get_user_model

from articles.models import Topic
from digests.models import Delivery, Digest
from digests.tasks import deliveries_reclaim_task
from newsletter.models import Subscriber
from tests.articles.factories import ArticleFactory

from .factories import subscribers_bulk_create

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]

PASSWORD = "a-long-test-password"


def test_send_one_article_once_per_matching_subscriber_despite_a_killed_worker(live_server, page, workers, smtp_sink):
    markets = Topic.objects.create(name="Markets", slug="markets")
    policy = Topic.objects.create(name="Policy", slug="policy")
    ArticleFactory(slug="grid-outlook", title="Grid outlook for data centres", topics=[markets])
    rows, wanted = [], set()
    for n in range(1200):
        cadence = "daily" if n % 2 else "weekly"
        chosen = [[markets.pk], [], [policy.pk]][n % 3]  # markets, every topic, policy only
        rows.append((f"reader{n}@example.com", cadence, chosen))
        if n % 3 != 2:
            wanted.add(f"reader{n}@example.com")
    subscribers_bulk_create(rows)
    subscribers_bulk_create([("left@example.com", "weekly", [])], status=Subscriber.Status.UNSUBSCRIBED)
    smtp_sink.handler.data_delay = 0.002  # a little slower than loopback, so the kill lands mid-send
    first, _ = workers.start(2)

    get_user_model().objects.create_superuser("editor", "editor@example.com", PASSWORD)
    page.goto(live_server.url + "/admin/digests/digest/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Send one article").click()
    page.locator("#id_article + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("grid")
    page.locator(".select2-results__option", has_text="Grid outlook for data centres").click()
    page.get_by_role("button", name="Prepare the edition").click()
    page.wait_for_url(re.compile(r"/admin/digests/digest/\d+/change/$"))
    page.get_by_role("link", name="Send now…").click()
    assert page.locator("#recipient-count").inner_text() == str(len(wanted))
    page.get_by_role("button", name=f"Send to {len(wanted)} subscribers").click()
    page.wait_for_url(re.compile(r"/progress/$"))
    edition = Digest.objects.get(kind=Digest.Kind.ARTICLE)

    assert smtp_sink.wait_for(lambda: smtp_sink.total() >= 200, timeout=60)
    workers.kill(first)
    assert smtp_sink.total() < len(wanted), "the send finished before the kill"
    workers.start(1)

    def settled():
        before = smtp_sink.total()
        time.sleep(1.5)
        return not Delivery.objects.filter(digest=edition, status="pending").exists() and smtp_sink.total() == before

    assert smtp_sink.wait_for(settled, timeout=90, interval=0)
    deliveries_reclaim_task.delay(older_than_seconds=0)  # what the sweeper does once a claim is stale
    assert smtp_sink.wait_for(
        lambda: Digest.objects.filter(pk=edition.pk, status=Digest.Status.SENT).exists(), timeout=60
    ), Delivery.objects.filter(digest=edition).progress()

    counts = smtp_sink.counts()
    assert [address for address in wanted if counts[address] == 0] == []
    assert set(counts) == wanted  # nobody else: not the policy-only readers, not who left
    # Solo pool: the killed process had at most one message accepted by the server but not yet marked.
    assert sum(n - 1 for n in counts.values() if n > 1) <= 1
    assert Delivery.objects.filter(digest=edition, status="sent").count() == len(wanted)
    message = smtp_sink.messages("reader0@example.com")[0]
    assert message["Subject"] == "Grid outlook for data centres"
    assert "/articles/grid-outlook/" in message.get_body(preferencelist=("plain",)).get_content()

    page.goto(live_server.url + "/newsletter/digests/")
    page.get_by_role("link", name="Grid outlook for data centres").click()
    assert page.locator("h1").inner_text() == "Grid outlook for data centres"
    assert page.get_by_role("link", name="Grid outlook for data centres").count() == 1
