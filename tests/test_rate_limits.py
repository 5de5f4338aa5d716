"""Rate limits that hold: the API per authenticated integration, refused tokens and failed sign-ins per address and
per account, with a pt-BR lockout."""
import pytest

from firma import create_app
from firma.extensions import db as _db, limiter
from firma.models import Integration, Organization, User
from firma.org.api_tokens import rotate_token
from firma.platform.outbox import commit
from werkzeug.security import generate_password_hash


@pytest.fixture()
def limited(tmp_path, seal_config):
    """An app of its own with rate limits on (memory storage), small limits and two integrations."""
    # `limiter` is one shared instance whose init_app sets `enabled` for every app: restore it afterwards.
    was_enabled = limiter.enabled
    try:
        yield _limited_app(tmp_path, seal_config)
    finally:
        limiter.enabled = was_enabled
        limiter.reset()


def _limited_app(tmp_path, seal_config):
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "rate-limit-test", **seal_config, "DATABASE_URL": "sqlite://",
                      "RATELIMIT_ENABLED": True, "WTF_CSRF_ENABLED": False, "QUEUE_IMMEDIATE": True,
                      "API_RATE_LIMIT": "20/minute", "API_AUTH_FAILURE_LIMIT": "10/10 minutes",
                      "LOGIN_FAILURE_LIMIT": "5/15 minutes", "LOGIN_IP_LIMIT": "8/15 minutes"},
                     instance_path=str(tmp_path))
    with app.app_context():
        _db.create_all()
        provider = Organization(name="Provedor", cnpj="11222333000181")
        _db.session.add(provider)
        _db.session.flush()
        tokens = []
        for name in ("A", "B"):
            integration = Integration(description=name, organization_id=provider.id)
            _db.session.add(integration)
            tokens.append(rotate_token(integration))
        _db.session.add(User(name="Staff", email="staff@isp.test", role="admin", organization_id=provider.id,
                             password_hash=generate_password_hash("senha-certa-123")))
        commit()
    app.tokens = tokens
    return app


def _get(client, token, ip="10.0.0.1"):
    return client.get("/api/v1/templates", headers={"Authorization": f"Bearer {token}"},
                      environ_base={"REMOTE_ADDR": ip}).status_code


def test_api_limit_is_per_integration_whatever_the_address(limited):
    client = limited.test_client()
    token_a, token_b = limited.tokens
    codes = [_get(client, token_a, ip=f"10.0.0.{n % 7}") for n in range(20)]
    assert set(codes) == {200}
    limited_response = client.get("/api/v1/envelopes", headers={"Authorization": f"Bearer {token_a}"},
                                  environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert limited_response.status_code == 429  # one budget for the integration, every endpoint and address
    assert limited_response.mimetype == "application/problem+json"
    assert _get(client, token_b) == 200  # another integration's budget is untouched


def test_guessed_tokens_share_one_budget_per_address(limited):
    client = limited.test_client()
    codes = [_get(client, f"guess-{n}") for n in range(10)]
    assert set(codes) == {401}
    assert _get(client, "guess-next") == 429  # a fresh guess is no fresh bucket
    assert _get(client, "guess-elsewhere", ip="10.0.0.2") == 401  # another address has its own
    assert _get(client, limited.tokens[0]) == 200  # a valid token from that address still works


def _login(client, email, password="errada", ip="10.0.0.1"):
    return client.post("/admin/entrar", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_login_locks_the_account_after_failures_from_any_address(limited):
    client = limited.test_client()
    codes = [_login(client, "staff@isp.test", ip=f"10.1.0.{n}").status_code for n in range(5)]
    assert codes == [422] * 5
    locked = _login(client, "staff@isp.test", "senha-certa-123", ip="10.1.0.99")
    assert locked.status_code == 429  # even the right password waits out the lockout
    assert "bloqueado por alguns minutos" in locked.get_data(as_text=True)
    assert _login(client, "outra@isp.test", ip="10.1.0.98").status_code == 422  # other accounts are not locked


def test_login_locks_the_address_across_accounts(limited):
    client = limited.test_client()
    codes = [_login(client, f"pessoa{n}@isp.test").status_code for n in range(8)]
    assert codes == [422] * 8
    assert _login(client, "staff@isp.test", "senha-certa-123").status_code == 429
    assert _login(client, "staff@isp.test", "senha-certa-123", ip="10.0.0.2").status_code == 302


def test_successful_logins_spend_no_failure_budget(limited):
    client = limited.test_client()
    codes = [_login(client, "staff@isp.test", "senha-certa-123").status_code for _ in range(7)]
    assert codes == [302] * 7
