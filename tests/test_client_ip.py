import pytest
from django.test import RequestFactory

from dangjian.core.audit import client_ip
from tests.factories import PASSWORD, make_user


@pytest.mark.parametrize("proxies,forwarded,expected", [
    (0, "1.2.3.4", "10.0.0.9"),                   # no proxy trusted: the connection address
    (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),   # nginx appended the real client; the left part is spoofable
    (1, "", "10.0.0.9"),                          # header missing: fall back
    (2, "203.0.113.7, 10.0.0.2", "203.0.113.7"),
    (1, "not-an-ip", "10.0.0.9"),
])
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.django_db
def test_a_successful_login_does_not_clear_failures_against_other_accounts(client):
    make_user("attacker", password=PASSWORD)
    make_user("victim", password=PASSWORD)
    for _ in range(4):
        client.post("/accounts/login/", {"username": "victim", "password": "wrong-Pass-1"})
    assert client.post("/accounts/login/", {"username": "attacker", "password": PASSWORD}).status_code == 302
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"username": "victim", "password": "wrong-Pass-1"})
    assert response.status_code == 429
