"""Django's Redis cache, without building a new client object for every command.

Django's client makes a ``redis.Redis`` around its connection pool on each call,
and that constructor fills a table of some 170 response callbacks: on a page
served from the cache it cost more than the round trips to Redis. A client is
thread-safe (the pool hands each command its own connection), so one per pool is
kept and reused.

Pools and clients are kept per process, not per cache object: Django makes a cache
object per thread, and under gunicorn's gevent workers per greenlet, that is per
client connection, which would open a Redis connection for each.
"""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

_clients: dict = {}
_lock = threading.Lock()


class RedisCacheClient(DjangoRedisCacheClient):
    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        identity = (self._servers[index], repr(sorted(self._pool_options.items())))
        client = _clients.get(identity)
        if client is None:
            with _lock:
                client = _clients.get(identity)
                if client is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    client = _clients[identity] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
