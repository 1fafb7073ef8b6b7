"""evalsys: applications, expert review, ranking, subsidy funds and performance evaluation of the
e-commerce demonstration programme. `create_app()` builds the Flask application."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, request

from .config import DEFAULT_SECRET_KEY, DefaultConfig, ProductionDefaults
from .resources import project_folder


class ConfigurationError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def _load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Layer defaults → instance/config.py → environment → test_config."""
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config.from_prefixed_env("EVALSYS")
    if test_config:
        app.config.from_mapping(test_config)
    if app.config["ENV_NAME"] == "production":
        for key in dir(ProductionDefaults):
            if key.isupper() and key not in (test_config or {}):
                app.config[key] = getattr(ProductionDefaults, key)


def _check_production(app: Flask) -> None:
    if app.config["ENV_NAME"] != "production":
        return
    if app.config["SECRET_KEY"] in (None, "", DEFAULT_SECRET_KEY) or len(app.config["SECRET_KEY"]) < 32:
        raise ConfigurationError("生产环境必须设置 SECRET_KEY（至少32个字符，且不能使用默认值）")
    if app.debug or app.config.get("DEBUG"):
        raise ConfigurationError("生产环境不得开启 DEBUG")
    if not app.config.get("AUDIT_HMAC_KEY"):
        raise ConfigurationError("生产环境必须设置 EVALSYS_AUDIT_HMAC_KEY（审计链密钥，保存在数据库之外）")


def _check_hash_algorithm(app: Flask) -> None:
    """HASH_ALGORITHM (EVALSYS_HASH_ALGORITHM): sha256 (default) or sm3, refused at start-up when unusable."""
    from .domain.hashing import UnsupportedAlgorithm, check_algorithm

    try:
        app.config["HASH_ALGORITHM"] = check_algorithm(app.config.get("HASH_ALGORITHM"))
    except UnsupportedAlgorithm as e:
        raise ConfigurationError(f"EVALSYS_HASH_ALGORITHM 设置无效：{e}") from None


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application. Never touches the database."""
    from . import dbsetup
    from .cli import register_cli
    from .errors import register_error_handlers
    from .extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
    from .hooks import assign_request_id, register_hooks
    from .i18n import install_remembering_domain, select_locale
    from .views import register_blueprints

    instance_path = os.environ.get("EVALSYS_INSTANCE_PATH") or (test_config or {}).get("INSTANCE_PATH")
    app = Flask(__name__, instance_path=str(Path(instance_path).resolve()) if instance_path else None,
                instance_relative_config=True)
    _load_config(app, test_config)
    _check_production(app)
    _check_hash_algorithm(app)
    os.makedirs(app.instance_path, exist_ok=True)

    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or f"sqlite:///{Path(app.instance_path) / 'evalsys.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = dbsetup.normalise_url(uri)
    dbsetup.configure_sqlite(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    app.config.setdefault("UPLOAD_DIR", str(Path(app.instance_path) / "uploads"))
    app.config.setdefault("ISSUED_DIR", str(Path(app.instance_path) / "issued"))

    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    app.before_request(assign_request_id)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR") or project_folder("migrations")),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_remembering_domain(babel)
    bootstrap.init_app(app)
    limiter.init_app(app)

    from . import models  # noqa: F401  (register the tables with the metadata)
    from .login import configure_login

    configure_login(app)
    register_hooks(app)
    register_error_handlers(app)
    register_blueprints(app)
    from .api import init_api

    init_api(app)
    register_cli(app)
    _register_template_helpers(app)
    return app


def _register_template_helpers(app: Flask) -> None:
    from .i18n import (current_language, grade_name, guidance_in_language, in_language, install_template_gettext,
                       notice_text, translated)
    from .domain.timeutil import format_beijing
    from .templating import Template

    app.jinja_env.template_class = Template
    install_template_gettext(app)
    app.jinja_env.filters["bjt"] = format_beijing
    app.jinja_env.filters["tr"] = in_language
    app.jinja_env.filters["grade"] = grade_name
    app.jinja_env.filters["translated"] = translated
    app.jinja_env.filters["notice"] = notice_text
    app.jinja_env.filters["guidance"] = guidance_in_language
    _register_number_filters(app)
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["request_path"] = lambda: request.path


def _register_number_filters(app: Flask) -> None:
    """The formatting filters every template uses (domain/formatting.py; the PDFs and spreadsheets
    call the same functions): money, 万元, percentages, basis points, scores, units, code labels."""
    from .domain import formatting as fmt
    from .i18n import current_language

    from .i18n import gettext

    # The number is the same in every language; the unit after it is the reader's ("1,234.00 yuan").
    def money(fen, *, unit: bool = True) -> str:
        return fmt.yuan(fen, unit=False) + " " + gettext("元") if unit and fen is not None else fmt.yuan(fen, unit=unit)

    def wanyuan(fen, places: int = 2, *, unit: bool = True) -> str:
        # 万元 has no English unit: an English reader gets the amount in yuan.
        if unit and fen is not None and current_language() != "zh":
            return money(fen)
        return fmt.wan_yuan(fen, places, unit=unit)

    def with_unit(value, unit: str, places: int | None = None) -> str:
        return fmt.with_unit(value, gettext(unit) if unit and unit not in ("%", "％") else unit, places)

    app.jinja_env.filters.update({
        "money": money,
        "wanyuan": wanyuan,
        "pct": fmt.percent,
        "bp_pct": fmt.basis_points,
        "score": fmt.score,
        "num": fmt.decimal_text,
        "unit": with_unit,
        "code_label": lambda name, code: fmt.code_label(name, code, lang=current_language()),
    })
