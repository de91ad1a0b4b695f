"""The build steps pyproject.toml cannot declare (the metadata is there).

An installed copy must work without the checkout and without `make`: the build compiles the
message catalogs (the same `pybabel compile` as `make translations`), so every deployment is in
Spanish, and carries the checkout's root folders templates/ and migrations/ inside the app
package, where app/__init__.py looks for them first.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# Folders at the checkout's root that the installed app needs: Jinja templates, Alembic's scripts.
ROOT_FOLDERS_IN_APP = ("templates", "migrations")


class BuildWithCatalogs(build_py):
    """build_py, then the root folders copied into app/ and the catalogs compiled to .mo."""

    def run(self) -> None:
        super().run()
        if self.dry_run:
            return
        app_dir = Path(self.build_lib) / "app"
        for name in ROOT_FOLDERS_IN_APP:
            # A fresh copy: a template or migration deleted since the last build must not stay
            # in build/ (setuptools reuses it) and come back in the next package.
            shutil.rmtree(app_dir / name, ignore_errors=True)
            shutil.copytree(ROOT / name, app_dir / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        from babel.messages.frontend import CommandLineInterface

        translations = app_dir / "translations"
        if CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(translations)]):
            raise SystemExit(f"pybabel compile failed for {translations}")
        if not list(translations.glob("*/LC_MESSAGES/messages.mo")):
            raise SystemExit(f"no message catalog was compiled in {translations}")


setup(cmdclass={"build_py": BuildWithCatalogs})
