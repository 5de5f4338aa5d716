"""Entry point for gunicorn: `gunicorn wsgi:app`."""
from firma import create_app

app = create_app()
