from tests.frontcache import recording_server  # noqa: F401 - fixture for the purge tests
