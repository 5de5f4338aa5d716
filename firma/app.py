"""The application factory: a list of named steps, as in Indico and cookiecutter-flask."""
from pathlib import Path

from flask import Flask

from firma import config, models  # noqa: F401  (models: known to Alembic and create_all)
from firma.config import ROOT
from firma.extensions import csrf, db, htmx, limiter, mail, migrate
from firma.platform import jobs


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(
        "firma",
        instance_relative_config=True,
        instance_path=instance_path or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config.load(app, test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_extensions(app)
    register_blueprints(app)
    register_security(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    jobs.init_app(app)  # the queue, its jobs, and the after-commit subscribers (webhooks, signed copies)


def register_blueprints(app: Flask) -> None:
    from admin import bp as admin_bp
    from api import bp as api_bp
    from pages import bp as public_bp
    from signer import bp as signer_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(signer_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # token-authenticated JSON, no cookies


def register_security(app: Flask) -> None:
    from firma.platform.headers import set_security_headers

    app.after_request(set_security_headers)


def register_errorhandlers(app: Flask) -> None:
    from firma.platform.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from firma.filters import register

    register(app)


def register_commands(app: Flask) -> None:
    from firma.cli import register

    register(app)
