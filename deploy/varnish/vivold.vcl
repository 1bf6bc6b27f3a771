#
# Vivold's front cache: Debian's varnish (7.x) with varnish-modules' xkey.
#
# - Anonymous GET/HEAD of reader pages is cached for as long as the application's
#   s-maxage says; the application names what a page shows in its `xkey` header
#   and purges those tags when they change (articles/purgers.py).
# - Passed, never cached: requests carrying a session or messages cookie or
#   Authorization, every method but GET/HEAD, the admin, preview links, token
#   URLs, webhooks and the health check; any answer the application did not mark
#   `public` or that sets a cookie.
# - Request bodies are buffered here (std.cache_req_body) before they reach the
#   application, so a slow client never holds a web worker.
# - PURGE (with `xkey-softpurge: tag tag…`, `xkey-purge: …`, or neither for the
#   URL alone) only from the addresses in purge_acl.vcl.
# - Grace: a purged or expired page is fetched afresh while the backend answers;
#   when it does not (refused, timed out, 5xx), the stale copy is served for up to
#   a day instead of an error.
#
# deploy/varnish/start.sh writes backend.vcl (BACKEND) and purge_acl.vcl
# (PURGE_ALLOW) beside a copy of this file and runs varnishd on it.

vcl 4.1;

import std;
import xkey;

include "backend.vcl";
include "purge_acl.vcl";

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purge_allowed) {
            return (synth(403, "Purging is not allowed from this address"));
        }
        if (req.http.xkey-softpurge) {
            set req.http.X-Purged = xkey.softpurge(req.http.xkey-softpurge);
            return (synth(200, "Soft-purged " + req.http.X-Purged + " objects"));
        }
        if (req.http.xkey-purge) {
            set req.http.X-Purged = xkey.purge(req.http.xkey-purge);
            return (synth(200, "Purged " + req.http.X-Purged + " objects"));
        }
        return (purge);
    }

    # Our own marker, set only on a restart below: never from a client.
    if (req.restarts == 0) {
        unset req.http.X-Vivold-Stale;
        if (!req.http.X-Request-ID) {
            set req.http.X-Request-ID = "varnish-" + req.xid;
        }
    }

    if (req.method != "GET" && req.method != "HEAD") {
        # Wait for the whole body here, then hand it over at once.
        if (req.http.Content-Length && std.integer(req.http.Content-Length, 0) > 10485760) {
            return (synth(413, "Request body too large"));
        }
        if (!std.cache_req_body(10MB)) {
            return (synth(413, "Request body too large"));
        }
        return (pass);
    }

    if (req.http.Authorization
        || req.http.Cookie ~ "(^|;\s*)(sessionid|messages)="
        || req.url ~ "^/(admin|preview|anymail)(/|$)"
        || req.url ~ "^/newsletter/(confirm|unsubscribe|preferences|subscribe)/"
        || req.url ~ "^/healthz") {
        return (pass);
    }

    # Nothing else a reader's browser sends changes the page: one copy for all.
    unset req.http.Cookie;
    # Campaign parameters do not change the page either.
    set req.url = regsuball(req.url, "([?&])(utm_[a-z]+|fbclid|gclid|mc_[a-z]+)=[^&]*", "\1");
    set req.url = regsuball(req.url, "[?&]+$", "");
    set req.url = regsub(req.url, "\?&+", "?");
    set req.url = std.querysort(req.url);

    if (req.http.X-Vivold-Stale) {
        # The backend failed on the way here: any stale copy will do.
        set req.grace = 24h;
    } else {
        # A purged page is fetched afresh, never served stale while the backend is up.
        set req.grace = 0s;
    }
    return (hash);
}

sub vcl_hash {
    # A page fetched over HTTPS is not the answer to a plain-HTTP request (which redirects).
    hash_data(req.http.X-Forwarded-Proto);
}

sub vcl_backend_response {
    if (beresp.status >= 500 && (bereq.is_bgfetch || !bereq.http.X-Vivold-Stale)) {
        # Keep what we have: the client side restarts and may serve it stale.
        return (abandon);
    }
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "public"
        || beresp.http.Cache-Control ~ "(private|no-store|no-cache)"
        || beresp.http.Vary == "*") {
        # Not for sharing; remember that for two minutes so requests are not queued behind it.
        set beresp.ttl = 120s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # stale-if-error: kept this long past its lifetime, for when the backend is down.
    set beresp.grace = 24h;
    return (deliver);
}

sub vcl_backend_error {
    if (bereq.is_bgfetch || !bereq.http.X-Vivold-Stale) {
        return (abandon);
    }
    set beresp.http.Content-Type = "text/html; charset=utf-8";
    set beresp.http.Retry-After = "30";
    synthetic({"<!doctype html><html lang="en"><title>Back in a moment</title><h1>Back in a moment</h1><p>The site is not answering just now. Please try again shortly.</p></html>"});
    return (deliver);
}

sub vcl_synth {
    if (resp.status == 503 && req.restarts == 0 && (req.method == "GET" || req.method == "HEAD")) {
        # The fetch failed: try once more, willing to take a stale copy.
        set req.http.X-Vivold-Stale = "1";
        return (restart);
    }
}

sub vcl_deliver {
    # The tags are for this cache (and purges), not for browsers.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Cache-Tag;
    unset resp.http.Via;
    set resp.http.X-Request-ID = req.http.X-Request-ID;
    if (obj.uncacheable) {
        set resp.http.X-Cache = "pass";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "hit";
    } else {
        set resp.http.X-Cache = "miss";
    }
}
