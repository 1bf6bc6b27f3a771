from newsletter.checks import site_url_is_https


def test_deploy_check_wants_an_https_site_url(settings):
    settings.SITE_URL = "http://insights.example.com"
    assert [warning.id for warning in site_url_is_https(None)] == ["newsletter.W001"]
    settings.SITE_URL = "https://insights.example.com"
    assert site_url_is_https(None) == []
