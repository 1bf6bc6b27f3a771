"""The Fastly and Cloudflare purgers, through their own client libraries, against a local
HTTP server that records what they send (standing where each provider's API would be)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from articles.purgers import CloudflarePurger, FastlyPurger, NoPurger, PurgeError, VarnishPurger, purger_from_settings


def test_fastly_soft_purges_by_surrogate_key(recording_server):
    recording_server.answer = {"article-1": "108-1391560174-974124", "home": "108-1391560174-974125"}
    FastlyPurger(service_id="SU1Z0isxPaozGVKXdv0eY", api_token="fastly-token", api_url=recording_server.url).purge(
        ["home", "article-1", "home"]
    )
    [request] = recording_server.requests
    assert request.method == "POST"
    assert request.path == "/service/SU1Z0isxPaozGVKXdv0eY/purge"
    assert request.headers["fastly-key"] == "fastly-token"
    assert request.headers["fastly-soft-purge"] == "1"
    assert request.json() == {"surrogate_keys": ["article-1", "home"]}


def test_fastly_hard_purges_and_batches_by_the_apis_limit(recording_server):
    tags = [f"article-{n}" for n in range(300)]
    FastlyPurger(service_id="svc", api_token="t", api_url=recording_server.url, soft=False).purge(tags)
    assert [len(r.json()["surrogate_keys"]) for r in recording_server.requests] == [256, 44]
    assert all("fastly-soft-purge" not in r.headers for r in recording_server.requests)


def test_cloudflare_purges_by_cache_tag(recording_server):
    recording_server.answer = {"success": True, "errors": [], "messages": [], "result": {"id": "purge-1"}}
    CloudflarePurger(
        zone_id="023e105f4ecef8ad9ca31a8372d0c353", api_token="cf-token", api_url=recording_server.url
    ).purge(["feed", "article-7"])
    [request] = recording_server.requests
    assert request.method == "POST"
    assert request.path == "/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache"
    assert request.headers["authorization"] == "Bearer cf-token"
    assert request.json() == {"tags": ["article-7", "feed"]}


@pytest.mark.parametrize("kind", ["fastly", "cloudflare", "varnish"])
def test_a_refused_purge_raises_so_the_task_retries(recording_server, kind):
    recording_server.status = 503
    recording_server.answer = {"success": False, "errors": [{"code": 1, "message": "down"}], "messages": []}
    purger = {
        "fastly": FastlyPurger(service_id="svc", api_token="t", api_url=recording_server.url),
        "cloudflare": CloudflarePurger(zone_id="zone", api_token="t", api_url=recording_server.url),
        "varnish": VarnishPurger(urls=(recording_server.url,)),
    }[kind]
    with pytest.raises(PurgeError):
        purger.purge(["home"])


def test_varnish_purges_every_instance_named(recording_server, settings):
    settings.FRONT_CACHE_PURGER = "varnish"
    settings.FRONT_CACHE_URL = f"{recording_server.url}, {recording_server.url}/"
    purger_from_settings().purge(["home", "feed"])
    assert [(r.method, r.headers["xkey-softpurge"]) for r in recording_server.requests] == [
        ("PURGE", "feed home"),
        ("PURGE", "feed home"),
    ]


def test_the_purger_is_chosen_by_settings(settings):
    settings.FRONT_CACHE_PURGER = "none"
    assert isinstance(purger_from_settings(), NoPurger)
    settings.FRONT_CACHE_PURGER = "cloudflare"
    settings.CLOUDFLARE_ZONE_ID, settings.CLOUDFLARE_API_TOKEN = "zone", "token"
    assert purger_from_settings() == CloudflarePurger(zone_id="zone", api_token="token", api_url="")
    settings.FRONT_CACHE_PURGER = "akamai"
    with pytest.raises(ImproperlyConfigured):
        purger_from_settings()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"FRONT_CACHE_PURGER": "fastly"}, "needs FASTLY_API_TOKEN, FASTLY_SERVICE_ID"),
        ({"FRONT_CACHE_PURGER": "cloudflare", "CLOUDFLARE_API_TOKEN": "t"}, "needs CLOUDFLARE_ZONE_ID"),
        ({"FRONT_CACHE_PURGER": "varnish"}, "needs FRONT_CACHE_URL"),
        ({"FRONT_CACHE_PURGER": "akamai"}, "use varnish, fastly, cloudflare or none"),
    ],
)
def test_start_up_refuses_a_purger_without_its_settings(tmp_path, variables, message):
    from tests.prod.helpers import production_env, run_manage

    result = run_manage(["check"], production_env(tmp_path, **variables))
    assert result.returncode != 0
    assert message in result.stderr
