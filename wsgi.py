"""WSGI entry point: `gunicorn wsgi:app`, or `flask --app wsgi …`: the whole service, built by
the composition root (assembly.build_app)."""
from assembly import build_app

app = build_app()
