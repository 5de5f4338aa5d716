"""Flask's signed-cookie sessions, with the cookie serializer built once per secret key rather than on every request.

Flask builds an itsdangerous serializer for each request before it even looks for a cookie, which signing pages
(which never use the session) paid on every view. Same cookies, same keys and fallbacks, same expiry.
"""
from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    """SecureCookieSessionInterface that reuses its serializer while the secret key and fallbacks stay the same."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, object] = {}

    def get_signing_serializer(self, app: Flask):
        """Flask's serializer for these keys, built the first time they are seen."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None and app.secret_key:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer


def init_app(app: Flask) -> None:
    """Use the caching interface for this app's sessions."""
    app.session_interface = SessionInterface()
