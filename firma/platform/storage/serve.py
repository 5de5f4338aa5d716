"""Downloads of stored files: a streamed response (ranges and conditional GETs), never a filesystem path."""
from flask import Response, request, send_file

from firma.platform.storage import backend


def send_stored(relpath: str, *, mimetype: str, download_name: str | None = None, as_attachment: bool = False,
                max_age: int | None = None) -> Response:
    """Stream a stored file to the client in chunks, with its length and entity tag."""
    stored = backend().open(relpath)
    response = send_file(stored.stream, mimetype=mimetype, as_attachment=as_attachment, download_name=download_name,
                         conditional=False, etag=False, max_age=max_age)
    response.content_length = stored.size
    if stored.etag:
        response.set_etag(stored.etag)
    return response.make_conditional(request, accept_ranges=True, complete_length=stored.size)
