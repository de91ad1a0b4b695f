"""The company's logo at its address, /marca/logo/<digest> (the customer layouts, pages and mail,
read the rest of the company's look through the `company_brand()` template global, which
app.create_app binds to app.services.branding.current_brand).

The logo is served with the type its bytes were found to be (PNG or JPEG, checked when saved;
never a type a visitor or the uploaded file's name chose), nosniff, a sandboxing CSP, and cached
for a year: its address changes with the logo (the digest), so a cached copy is never stale."""
from __future__ import annotations

from flask import Response, abort, request

from app.extensions import db
from app.portal import bp
from app.services import branding
from app.services.errors import NotFound

LOGO_CACHE_SECONDS = 365 * 86400


@bp.get("/marca/logo/<string(length=64):digest>")
def logo(digest: str):
    """The current logo's bytes; 404 for any other digest."""
    try:
        data, content_type = branding.logo_image(digest)
    except NotFound:
        db.session.rollback()
        abort(404)
    db.session.rollback()  # a read: end the transaction
    response = Response(data, mimetype=content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = f"public, max-age={LOGO_CACHE_SECONDS}, immutable"
    response.set_etag(digest)
    return response.make_conditional(request)
