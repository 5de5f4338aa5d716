"""SSRF guard: internal addresses refused when a webhook URL is saved and when any connection opens."""
import ipaddress

import pytest

from firma.org.integrations import save_integration
from firma.platform import destinations
from firma.platform.errors import Refusal
from firma.platform.outbound import EXCERPT_CHARS, UnsafeUrl, post_json
from tests.http_stub import HttpStub

INTERNAL = ["127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
            "100.127.255.254", "224.0.0.1", "239.255.255.250", "0.0.0.0", "240.0.0.1", "255.255.255.255", "::1", "::",
            "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
            "::ffff:169.254.169.254", "64:ff9b::7f00:1", "2002:7f00:1::1"]
ATTACK_URLS = ["http://127.0.0.1/hook", "http://localhost:8080/hook", "http://[::1]/hook", "http://2130706433/hook",
               "http://127.1/hook", "http://0x7f000001/hook", "http://0177.0.0.1/hook", "http://169.254.169.254/latest",
               "http://100.64.0.1/hook", "http://10.1.2.3:6379/", "http://[::ffff:127.0.0.1]/hook",
               "http://[fe80::1]/hook", "http://0.0.0.0:5000/", "http://[::]/hook"]


@pytest.fixture()
def strict(app, monkeypatch):
    """The production rule: no loopback exception."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_LOOPBACK", False)


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_have_a_reason(address):
    assert destinations.why_internal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "200.160.2.3", "2001:4860:4860::8888", "::ffff:200.160.2.3"])
def test_public_addresses_pass(address):
    assert destinations.why_internal(ipaddress.ip_address(address)) is None


def test_the_loopback_exception_covers_loopback_only():
    assert destinations.why_internal(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert destinations.why_internal(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True) is None
    assert destinations.why_internal(ipaddress.ip_address("10.0.0.1"), allow_loopback=True) is not None


@pytest.mark.parametrize("url", ATTACK_URLS)
def test_saving_an_internal_webhook_url_is_refused_on_the_field(url, db, strict):
    with pytest.raises(Refusal) as info:
        save_integration(None, {"description": "ERP", "webhook_url": url, "webhook_secret": "s" * 32})
    assert info.value.field == "webhook_url" and info.value.message.startswith("URL do webhook recusada")


def test_a_public_or_not_yet_resolvable_webhook_url_is_saved(db, strict):
    for url in ("https://200.160.2.3/hook", "https://erp.provedor.invalid/hook"):
        row = save_integration(None, {"description": "ERP", "webhook_url": url, "webhook_secret": "s" * 32})
        assert row.webhook_url == url


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_connect_time_check_refuses_a_loopback_server(host, strict):
    with HttpStub() as stub:
        url = stub.url.replace("127.0.0.1", host)
        outcome = post_json(f"{url}/hook", b"{}", {})
    assert outcome.status is None and not outcome.retryable and "endereços públicos" in outcome.error
    assert stub.requests == []


@pytest.mark.parametrize("url", ["http://2130706433/", "http://127.1/", "http://0x7f.1/"])
def test_short_ipv4_forms_are_refused_before_any_connection(url, strict):
    with pytest.raises(UnsafeUrl):
        post_json(url, b"{}", {})


def test_pinned_connection_keeps_the_host_header(app_context):
    with HttpStub() as stub:
        url = stub.url.replace("127.0.0.1", "localhost")
        assert post_json(f"{url}/hook", b"{}", {}).ok
    (request,) = stub.requests
    assert request.headers["Host"] == url.removeprefix("http://")


def test_response_excerpt_is_short_and_printable(app_context):
    with HttpStub() as stub:
        stub.enqueue(500, "\x1b[31mSSH-2.0-OpenSSH\r\nX-Injected: 1\x00\u202e" + "a" * 5000)
        outcome = post_json(stub.url, b"{}", {})
    assert len(outcome.body_excerpt) <= EXCERPT_CHARS == 200
    assert not any(ord(c) < 32 or c == "\u202e" for c in outcome.body_excerpt)
    assert outcome.body_excerpt.startswith("[31mSSH-2.0-OpenSSH X-Injected: 1")
