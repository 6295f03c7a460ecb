"""The portal as the benchmark runs it, plus two routes that exist only here.

- `/bench/hello`: hello world on the same server, the floor of the throughput figure;
- `/bench/floor/<name>`: renders a template with a context captured from a real page and held
  in memory (no query of ours), the floor of the list and dashboard figures.

Neither route is part of the portal: they are added to the app this factory wraps.
`gunicorn 'bench.app:create()'` serves it; BENCH_DATABASE_URL names the database.
"""

from __future__ import annotations

import os

from flask import Flask, abort, render_template

from config import Config
from portal import create_app

SECRET = "bench-secret-key-not-for-production"


def bench_config(url: str) -> type[Config]:
    class BenchConfig(Config):
        """Production-like: no debug, templates compiled once, CSRF on; plain HTTP on loopback."""

        ENV_NAME = "bench"
        SECRET_KEY = SECRET
        SQLALCHEMY_DATABASE_URI = url
        DOCUMENT_ROOT = os.environ.get("BENCH_DOCUMENT_ROOT", "/tmp/portal-bench/documents")
        IMPORT_MAX_BYTES = 200 * 1024 * 1024
        MAX_CONTENT_LENGTH = 200 * 1024 * 1024

    return BenchConfig


def create(url: str | None = None) -> Flask:
    """The portal's own factory, wrapped: the same app, with the bench's two routes added."""
    app = create_app(bench_config(url or os.environ["BENCH_DATABASE_URL"]))
    floors: dict[str, tuple[str, dict]] = {}
    app.extensions["bench_floors"] = floors

    @app.get("/bench/hello")
    def bench_hello():
        return "Hello, world!"

    @app.get("/bench/floor/<name>")
    def bench_floor(name: str):
        """The same template with the same context, from memory: the page without our work."""
        if name not in floors:
            abort(404)
        template, context = floors[name]
        return render_template(template, **context)

    return app
