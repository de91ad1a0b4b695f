"""Flask extensions, created unbound here and bound to the app in create_app()."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


def _check_constraint_name(constraint, _table) -> str:
    """The part of a CHECK constraint's name after its table: the name the model gave it
    (minutes_positive), else its column's (the CHECK of an enum column, which has no name)."""
    if isinstance(constraint.name, str):
        return constraint.name
    return next(iter(constraint.columns)).name


# Deterministic constraint names, so Alembic migrations are the same on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    # The token's name must contain "constraint_name": SQLAlchemy applies the convention to a
    # constraint the model named only when it sees that text in the template.
    "constraint_name_or_column": _check_constraint_name,
    "ck": "ck_%(table_name)s_%(constraint_name_or_column)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
# Throttles failed sign-ins (app/web/auth/throttle.py); storage from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address)
