"""The staff dashboard: one blueprint package per area, the response security headers and the
error pages."""
from flask import Flask


def register(app: Flask) -> None:
    """Register the dashboard's blueprints, its security headers and its error pages."""
    from flask_login import current_user

    from app.services.permissions import Permission, can

    from app.web.account import bp as account_bp
    from app.web.aging import bp as aging_bp
    from app.web.account.routes import unread_count
    from app.web import errors
    from app.web.auth import bp as auth_bp
    from app.web.billing import bp as billing_bp
    from app.web.contracts import bp as contracts_bp
    from app.web.inbox import bp as inbox_bp
    from app.web.params import IdConverter, refuse_unusable_redirect_targets
    from app.web.reports import bp as reports_bp
    from app.web.security import add_security_headers
    from app.web.tickets import bp as tickets_bp

    app.url_map.converters["id"] = IdConverter  # before the rules that use <id:…>
    for blueprint in (auth_bp, tickets_bp, inbox_bp, account_bp, contracts_bp,
                      reports_bp, billing_bp, aging_bp):
        app.register_blueprint(blueprint)
    app.before_request(refuse_unusable_redirect_targets)
    app.after_request(add_security_headers)
    errors.register(app)

    @app.context_processor
    def _header_flags():
        if getattr(current_user, "is_authenticated", False):
            return {"unread_notifications": unread_count(current_user),
                    "can_admin": can(current_user, Permission.MANAGE_REFERENCE),
                    "can_manage_canned_replies": can(current_user,
                                                     Permission.MANAGE_CANNED_REPLIES),
                    "can_see_reports": can(current_user, Permission.REPORTS),
                    "can_bill": can(current_user, Permission.SET_BILLING)}
        return {}
