"""One check before every HTML form and query string: NUL characters, which PostgreSQL text columns cannot hold."""
from flask import request
from werkzeug.exceptions import BadRequest

from firma.platform.errors import friendly, wants_json

NUL_MESSAGE = "O formulário contém um caractere inválido (NUL). Corrija o texto e envie de novo."


def refuse_nul_bytes() -> None:
    """400 with a pt-BR message when a form field, file name or query value carries NUL (the API's schemas check
    their own bodies); without this, the value reaches the database and PostgreSQL refuses it with a 500."""
    if wants_json():
        return
    values = [*request.args.values(), *request.args.keys()]
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [*request.form.keys(), *(v for _, v in request.form.items(multi=True))]
        values += [f.filename or "" for _, f in request.files.items(multi=True)]
    if any("\x00" in value for value in values):
        raise friendly(BadRequest, NUL_MESSAGE)


def init_app(app) -> None:
    """Run the check before every request."""
    app.before_request(refuse_nul_bytes)
