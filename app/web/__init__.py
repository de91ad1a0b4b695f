"""The staff dashboard: one blueprint package per area, plus the response security headers."""
from flask import Flask


def register(app: Flask) -> None:
    """Register the dashboard's blueprints and its security headers."""
    from app.web.auth import bp as auth_bp
    from app.web.security import add_security_headers
    from app.web.tickets import bp as tickets_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(tickets_bp)
    app.after_request(add_security_headers)
