"""Configuration: production needs a real secret; development keeps one it made."""

import importlib

import pytest

import config
from portal import create_app


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)

    class Production(config.ProductionConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Production)


def test_production_cookies_are_secure():
    assert config.ProductionConfig.SESSION_COOKIE_SECURE is True
    assert config.Config.SESSION_COOKIE_HTTPONLY is True
    assert config.Config.SESSION_COOKIE_SAMESITE == "Lax"


def test_development_makes_a_secret_key_once_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)

    class Development(config.DevelopmentConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    first = create_app(Development).config["SECRET_KEY"]
    second = create_app(Development).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first


def test_postgres_urls_use_psycopg_3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/portal")
    try:
        reloaded = importlib.reload(config)
        assert reloaded.Config.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg://u:p@")
    finally:
        monkeypatch.delenv("DATABASE_URL")
        importlib.reload(config)
