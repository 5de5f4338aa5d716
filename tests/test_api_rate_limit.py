from firma import create_app
from firma.extensions import db as _db, limiter


def test_api_is_rate_limited_per_token(tmp_path, seal_config):
    # `limiter` is one shared instance whose init_app sets `enabled` for every app: restore it afterwards.
    was_enabled = limiter.enabled
    try:
        app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "rate-limit-test", **seal_config, "DATABASE_URL": "sqlite://",
                          "RATELIMIT_ENABLED": True, "QUEUE_IMMEDIATE": True}, instance_path=str(tmp_path))
        with app.app_context():
            _db.create_all()
        client = app.test_client()
        noisy = {"Authorization": "Bearer loop"}
        codes = [client.get("/api/v1/envelopes", headers=noisy).status_code for _ in range(600)]
        limited = client.get("/api/v1/envelopes", headers=noisy)
        other = client.get("/api/v1/envelopes", headers={"Authorization": "Bearer other"})
    finally:
        limiter.enabled = was_enabled
        limiter.reset()
    assert set(codes) == {401}
    assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
    assert other.status_code == 401  # another integration's budget is untouched
