"""Entry point for gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app` (application logs as JSON lines on stderr)."""
from firma import create_app
from firma.platform import logs

logs.configure()
app = create_app()
