"""Refusals, error pages in pt-BR for people and problem+json for the API."""
from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from firma.platform.storage.base import StorageUnavailable

TITLES = {
    400: "Pedido inválido",
    403: "Acesso negado",
    404: "Página não encontrada",
    405: "Método não permitido",
    410: "Link indisponível",
    413: "Arquivo grande demais",
    429: "Muitas tentativas",
    500: "Erro interno",
    503: "Serviço indisponível",
}
STORAGE_DOWN = ("O armazenamento de arquivos não respondeu e nada foi gravado. Tente novamente em instantes.")


class Refusal(ValueError):
    """A request understood but refused: `message` is pt-BR for the person, `field` the input it is about.

    Services raise it; the API answers 422 problem+json naming the field, the admin puts the message
    on that form field (`admin.forms.run_form`), the signer's page shows it beside the step.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def normalised(normalise, value: str, field: str):
    """`normalise(value)`, its pt-BR ValueError turned into a Refusal on `field` (so the form or API can name it)."""
    try:
        return normalise(value)
    except ValueError as exc:
        raise Refusal(str(exc), field) from None


def optional_normalised(normalise, value: str | None, field: str):
    """Like `normalised`, but a blank value is None (an optional contact left empty)."""
    return normalised(normalise, value, field) if (value or "").strip() else None


def problem(status: int, detail: str, *, title: str | None = None, **extra):
    """An RFC 9457 problem details response."""
    body = {"type": "about:blank", "title": title or TITLES.get(status, "Erro"), "status": status, "detail": detail}
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def wants_json() -> bool:
    """Whether this request is the API's, which answers problem+json."""
    return request.path.startswith("/api/")


def register(app) -> None:
    """Install the error handlers on the app."""
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.response is not None:  # a page made for this refusal (e.g. the login form saying it is locked)
            return exc.response
        if wants_json():
            return problem(exc.code or 500, exc.description or TITLES.get(exc.code, ""))
        title = TITLES.get(exc.code, exc.name)
        detail = exc.description if getattr(exc, "firma_message", False) else None
        if exc.code == 429:
            detail = "Muitas tentativas em pouco tempo. Aguarde alguns minutos e tente de novo."
        return render_template("public/error.html", code=exc.code, title=title, detail=detail), exc.code

    @app.errorhandler(StorageUnavailable)
    def storage_down(exc: StorageUnavailable):
        app.logger.warning("storage unavailable: %s", exc)
        if wants_json():
            response = problem(503, STORAGE_DOWN)
        else:
            response = app.make_response((render_template("public/error.html", code=503, title=TITLES[503],
                                                          detail=STORAGE_DOWN), 503))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        if wants_json():
            return problem(500, "Erro interno. Tente novamente em instantes.")
        return render_template("public/error.html", code=500, title=TITLES[500], detail=None), 500


def friendly(exc_class, message: str):
    """An HTTP exception whose pt-BR description is shown to the person."""
    exc = exc_class(message)
    exc.firma_message = True
    return exc
