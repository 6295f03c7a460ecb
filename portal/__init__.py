"""The portal: small businesses hand overdue accounts to a collection agency."""

import logging
from importlib import import_module
from pathlib import Path

from flask import Flask

from config import Config, config_from_env
from portal.extensions import csrf, db, login_manager, migrate


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, commands and error pages."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    config_class = config_class or config_from_env()
    app.config.from_object(config_class)
    config_class.init_app(app)
    logging.basicConfig(level=logging.INFO)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    _init_login(app)

    from portal import formatting, navigation
    from portal.errors import register_error_pages

    formatting.init_app(app)
    navigation.init_app(app)
    register_error_pages(app)
    import_module("portal.security").init_app(app)
    import_module("portal.sqlite").init_app(app)
    _register_blueprints(app)

    from portal.cli import register_commands

    register_commands(app)
    return app


def _init_login(app: Flask) -> None:
    from portal.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None


# Each feature package has a routes module with a blueprint called `bp`.
FEATURES = (
    "auth",
    "dashboard",
    "orgs",
    "agreements",
    "cases",
    "documents",
    "imports",
    "placements",
    "casework",
    "ledger",
    "casefile",
    "notices",
    "statements",
    "privacy",
)


def _register_blueprints(app: Flask) -> None:
    for feature in FEATURES:
        module = import_module(f"portal.{feature}.routes")
        app.register_blueprint(module.bp)
