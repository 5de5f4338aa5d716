"""Settings: defaults here, then instance/config.py, then FIRMA_* environment variables."""
import json
import os
from pathlib import Path

# The checkout: templates/, static/ and migrations/ live beside the firma package.
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"


MIN_SECRET_BYTES = 32


class ConfigError(RuntimeError):
    """A required setting is missing or unsafe; raised at start-up, never at first use."""


DEFAULTS = {
    "ENV_NAME": "development",  # development | production | testing
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # default: sqlite file in the instance folder
    "STORAGE_DIR": None,  # default: <instance>/storage (local disk; with STORAGE_URL only page-image caches)
    "STORAGE_URL": None,  # file:///path or s3://bucket/prefix; None: STORAGE_DIR on this host's disk
    "S3_ENDPOINT_URL": None,  # a non-AWS S3 endpoint (SeaweedFS, MinIO, ...); credentials: AWS_* variables
    "SEAL_P12": None,  # default: <instance>/seal.p12
    "SEAL_PASSPHRASE": None,  # default: read from <instance>/seal.pass
    "SEAL_CHECK_AT_START": True,  # load the seal key in the factory: a bad one stops the start-up
    "TSA_URL": None,
    "TRUSTED_PROXIES": 0,  # reverse-proxy hops in front of the app (ProxyFix); 0 = clients connect directly
    "CLIENT_PORT_HEADER": "X-Real-Port",  # set by the outermost proxy from $remote_port (README: nginx)
    "SEAL_LEVEL": None,  # B-B | B-T | B-LTA; default: B-LTA with a TSA_URL, B-B without
    "SEAL_POLICY": None,  # ICP-Brasil signature policy: {"oid": ..., "sha256": ..., "uri": ...} (JSON in the env)
    "TRUST_ROOTS": None,  # PEM/DER files (comma-separated) of roots the verifier trusts: ICP-Brasil, instance root
    "TSA_ROOTS": None,  # PEM/DER files of the TSA roots: a timestamp not chaining to them is refused
    "LTA_REFRESH_MARGIN_DAYS": 60,  # re-timestamp a sealed PDF this long before its last TSA certificate expires
    "PUBLIC_URL": "http://127.0.0.1:5000",
    "DB_CONNECT_TIMEOUT": 3,  # seconds (PostgreSQL; libpq rounds anything below 2 up to 2)
    "METRICS_TOKEN": None,  # bearer token for /metrics; unset: /metrics answers 404
    "QUEUE_URL": None,  # None: SQLite huey in the instance folder; redis://... for several workers
    "QUEUE_IMMEDIATE": False,  # run jobs inline (tests, `flask shell`)
    "REDIS_URL": None,  # redis://...: shared rate-limit counters (QUEUE_URL's Redis is used when this is unset)
    "RATELIMIT_STORAGE_URI": None,  # default: REDIS_URL or a redis:// QUEUE_URL, else memory:// (one process)
    "RATELIMIT_STRATEGY": "moving-window",
    "API_RATE_LIMIT": "600/minute",  # per authenticated integration
    "API_AUTH_FAILURE_LIMIT": "30/10 minutes",  # per address, counting only refused tokens
    "LOGIN_FAILURE_LIMIT": "5/15 minutes",  # per account, counting only failed sign-ins (then a lockout)
    "LOGIN_IP_LIMIT": "20/15 minutes",  # per address, failed sign-ins on any account
    "ADMIN_IDLE_MINUTES": 30,  # an admin session unused this long must sign in again
    "FINALISE_STALE_SECONDS": 600,  # a finalisation claimed longer ago belongs to a dead worker: the sweep retakes it
    "LINK_LIFETIME_DAYS": 15,
    "CPF_ATTEMPTS": 5,  # wrong CPF/CNPJ guesses per signer (not per link) before a lockout
    "CPF_LOCKOUT_MINUTES": 60,  # counted from the last wrong guess
    "MAX_UPLOAD_BYTES": 12 * 1024 * 1024,
    "MAX_PDF_BYTES": 15 * 1024 * 1024,
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "Firma <nao-responda@firma.local>",
    "MAIL_SUPPRESS_SEND": False,
    "WHATSAPP_PROVIDER": "console",
    "OUTBOUND_ALLOW_LOOPBACK": False,  # only tests and local demos may let webhooks/WhatsApp call 127.0.0.1
    "LIVENESS_CHALLENGE": None,  # e.g. "turn_left,turn_right" to fix the challenge (tests, demos)
}

# Keys whose FIRMA_* environment value is parsed as JSON (numbers, booleans).
_TYPED = {k for k, v in DEFAULTS.items() if isinstance(v, (bool, int))}


def load(app, overrides: dict | None) -> None:
    """Fill app.config from defaults, instance/config.py, FIRMA_* variables and test overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for key, value in os.environ.items():
        if key.startswith("FIRMA_"):
            name = key.removeprefix("FIRMA_")
            app.config[name] = json.loads(value) if name in _TYPED else value
    if overrides:
        app.config.update(overrides)
    _derive(app)


def _derive(app) -> None:
    cfg, instance = app.config, Path(app.instance_path)
    if cfg["ENV_NAME"] == "testing":
        cfg["TESTING"] = True
    if not cfg["SECRET_KEY"]:
        if cfg["ENV_NAME"] == "production":
            raise ConfigError("FIRMA_SECRET_KEY is required in production (run `firma init` or set it).")
        key_file = instance / "secret_key"
        cfg["SECRET_KEY"] = key_file.read_text().strip() if key_file.exists() else "dev-only-" + "x" * 32
    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"] or f"sqlite:///{instance / 'firma.sqlite3'}"
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": False}  # firma.platform.dbpool pings idle connections only
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # a dead server answers /readyz (and a request) in seconds, not after the OS's TCP timeout
        cfg["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] = {"connect_timeout": cfg["DB_CONNECT_TIMEOUT"]}
    cfg["STORAGE_DIR"] = Path(cfg["STORAGE_DIR"] or instance / "storage")
    url = cfg["STORAGE_URL"] or ""
    if url and not (url.startswith("file:///") or (url.startswith("s3://") and len(url) > len("s3://"))):
        raise ConfigError(f"FIRMA_STORAGE_URL {url!r} is not file:///path or s3://bucket/prefix.")
    cfg["SEAL_P12"] = Path(cfg["SEAL_P12"] or instance / "seal.p12")
    cfg["SEAL_LEVEL"] = cfg["SEAL_LEVEL"] or ("B-LTA" if cfg["TSA_URL"] else "B-B")
    if cfg["SEAL_LEVEL"] not in ("B-B", "B-T", "B-LTA"):
        raise ConfigError(f"FIRMA_SEAL_LEVEL must be B-B, B-T or B-LTA (got {cfg['SEAL_LEVEL']!r}).")
    if cfg["SEAL_LEVEL"] != "B-B" and not cfg["TSA_URL"]:
        raise ConfigError(f"FIRMA_SEAL_LEVEL={cfg['SEAL_LEVEL']} needs a timestamp authority: set FIRMA_TSA_URL.")
    if cfg["SEAL_LEVEL"] == "B-LTA" and not (cfg["TSA_ROOTS"] or cfg["TRUST_ROOTS"]):
        # B-LTA validates the TSA's chain to embed its revocation data: without its root every seal would fail.
        raise ConfigError("PAdES B-LTA (the default with FIRMA_TSA_URL) needs the TSA's root: set FIRMA_TSA_ROOTS "
                          "to its PEM file (or FIRMA_SEAL_LEVEL=B-T for timestamps without validation data).")
    cfg["MAX_CONTENT_LENGTH"] = cfg["MAX_UPLOAD_BYTES"] * 2
    cfg["RATELIMIT_STORAGE_URI"] = cfg["RATELIMIT_STORAGE_URI"] or _shared_redis(cfg) or "memory://"
    production = cfg["ENV_NAME"] == "production"
    cfg["SESSION_COOKIE_SECURE"] = production
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["WTF_CSRF_TIME_LIMIT"] = None
    if production and cfg["SECRET_KEY"].startswith("dev-only-"):
        raise ConfigError("FIRMA_SECRET_KEY must be a real secret in production.")
    if production and len(cfg["SECRET_KEY"].encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"FIRMA_SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes. Generate one with "
                          "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` and set it as "
                          "FIRMA_SECRET_KEY (or SECRET_KEY in instance/config.py).")


def _shared_redis(cfg) -> str | None:
    """The Redis every process shares (so 4 gunicorn workers hold one limit, not four), if one is configured."""
    for url in (cfg["REDIS_URL"], cfg["QUEUE_URL"]):
        if url and url.startswith(("redis://", "rediss://")):
            return url
    return None


def seal_passphrase(app) -> bytes:
    """The PKCS#12 passphrase: configured, or the one `firma init` wrote beside the key."""
    if app.config["SEAL_PASSPHRASE"]:
        return app.config["SEAL_PASSPHRASE"].encode()
    pass_file = Path(app.instance_path) / "seal.pass"
    if not pass_file.exists():
        raise ConfigError(f"No seal passphrase: set FIRMA_SEAL_PASSPHRASE or run `firma init` ({pass_file}).")
    return pass_file.read_bytes().strip()
