"""A production-settings server (DEBUG=0 behind a TLS-terminating proxy) sends the security headers."""

import pytest

from .conftest import Gunicorn, app_env, http

pytestmark = pytest.mark.integration


def test_production_server_sends_security_headers(test_database_url, servers):
    # given gunicorn with production settings behind a proxy that sets X-Forwarded-Proto
    env = app_env(
        database_url=test_database_url,
        redis_url="",
        ALLOWED_HOSTS="news.example.com,127.0.0.1",
        SECURE_SSL_REDIRECT="1",
        SECURE_PROXY_SSL_HEADER="1",
    )
    server = Gunicorn(env, workers=1).start()
    servers.append(server)
    https = {"Host": "news.example.com", "X-Forwarded-Proto": "https"}

    # when a client asks over HTTPS
    status, headers, _ = http("GET", server.url + "/api/v1/sections/", headers=https)

    # then every security header is there
    assert status == 200
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "server" not in headers or "django" not in headers["server"].lower()

    # plain HTTP is redirected to HTTPS, and a forged Host is refused
    status, headers, _ = http("GET", server.url + "/api/v1/sections/", headers={"Host": "news.example.com"})
    assert status == 301
    assert headers["location"] == "https://news.example.com/api/v1/sections/"
    status, _, _ = http("GET", server.url + "/api/v1/sections/", headers={**https, "Host": "evil.example.org"})
    assert status == 400

    # the admin login sets its cookies Secure and HttpOnly
    status, headers, _ = http("GET", server.url + "/admin/login/", headers=https)
    assert status == 200
    cookie = headers.get("set-cookie", "")
    assert "csrftoken=" in cookie and "Secure" in cookie
