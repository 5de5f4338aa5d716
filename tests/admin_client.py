"""Helpers for admin tests: log in through the real form and post with the session's CSRF token."""
import re

from flask import g

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/admin/conta") -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client, email: str, password: str) -> None:
    """Sign in with the login form; afterwards `client.csrf` holds a token valid for the session."""
    token = csrf_token(client, "/admin/entrar")
    response = client.post("/admin/entrar", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    # The `db` fixture keeps one app context pushed, so `g` (where Flask-WTF caches the token) outlives
    # requests; the login cleared the session, so the cached pre-login token must go too.
    g.pop("csrf_token", None)
    client.csrf = csrf_token(client)


def post(client, path: str, data: dict | None = None, **kw):
    """POST a form with the session's CSRF token added."""
    return client.post(path, data={**(data or {}), "csrf_token": client.csrf}, **kw)
