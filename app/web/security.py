"""Security headers on every response: CSP, nosniff, no framing, a strict referrer policy; and
the one way a stored file is served (dashboard and API alike), so a browser never runs it."""
from flask import Response, send_file

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
       "object-src 'none'")


def add_security_headers(response: Response) -> Response:
    """Set the headers unless a view set its own."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def file_download(download, inline: bool) -> Response:
    """A stored file (app.services.attachment_downloads.Download) as a download: shown inline
    only when asked and its bytes are a known image type, else application/octet-stream as an
    attachment; never sniffed, never run as a page (a sandboxing CSP)."""
    image_type = download.image_type if inline else None
    response = send_file(download.path, mimetype=image_type or "application/octet-stream",
                         as_attachment=image_type is None,
                         download_name=download.attachment.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
