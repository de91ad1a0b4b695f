"""The user's saved list views: save the current filter under a name, rename, delete."""
from app.web.tickets import bp  # noqa: F401
