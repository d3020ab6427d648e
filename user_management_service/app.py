"""create_app(settings) -> Flask: wires settings, database, API blueprints, errors and docs."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from werkzeug.routing import UUIDConverter

from user_management_service import observability
from user_management_service.api import (
    auth,
    context,
    cors,
    docs,
    health,
    problems,
    security,
    users,
)
from user_management_service.api.schemas import Problem
from user_management_service.db.engine import make_engine, make_session_factory
from user_management_service.db.repository import SqlRefreshTokenRepository, SqlUserRepository
from user_management_service.domain.errors import EmailTakenError
from user_management_service.domain.passwords import PasswordHashing
from user_management_service.domain.tokens import AccessTokens, KeyStore
from user_management_service.domain.users import Role, UserService
from user_management_service.logging_setup import configure_logging
from user_management_service.settings import Settings, get_settings

RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "UNAUTHORIZED": {
        "WWW-Authenticate": {
            "description": "The bearer challenge (RFC 6750).",
            "schema": {"type": "string"},
        }
    },
    "TOO_MANY_REQUESTS": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest documenting every error response as the shared Problem schema."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response: dict[str, Any] = {
                "description": status.phrase,
                "content": {
                    problems.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            }
            if status.name in RESPONSE_HEADERS:
                response["headers"] = RESPONSE_HEADERS[status.name]
            self.spec.components.response(status.name, response, lazy=True)

    def _register_pagination_header(self) -> None:  # no page-number pagination here
        pass

    def handle_http_exception(self, error: Any) -> Any:
        return problems.handle_http_exception(error)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = Flask(__name__)
    if settings.trusted_proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_hops)  # type: ignore[method-assign]
    app.config.update(
        API_TITLE="User Management API",
        API_VERSION="2.1.0",
        OPENAPI_VERSION="3.1.0",
        MAX_CONTENT_LENGTH=settings.max_content_length,
        JSON_SORT_KEYS=False,
    )
    engine = make_engine(settings.database_url)
    app.extensions["ums_engine"] = engine
    app.extensions["ums_session_factory"] = make_session_factory(engine)
    app.extensions["ums_settings"] = settings
    app.extensions["ums_passwords"] = PasswordHashing(
        settings.argon2_time_cost, settings.argon2_memory_cost_kib
    )
    keys = KeyStore(settings.jwt_keys_dir)
    keys.ensure()
    app.extensions["ums_keys"] = keys
    app.extensions["ums_access_tokens"] = AccessTokens(
        keys, settings.jwt_issuer, settings.jwt_audience, settings.access_token_ttl_seconds
    )
    bootstrap_admin(app, settings)

    api = ProblemApi(app)
    # A UUID is 36 characters: the bound documents what the route already refuses (404).
    api.register_converter(
        UUIDConverter, lambda _: {"type": "string", "format": "uuid", "maxLength": 36}
    )
    api.spec.components.schema("Problem", schema=Problem)
    for name, scheme in security.SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    api.register_blueprint(auth.blp)
    api.register_blueprint(users.blp)
    api.register_blueprint(health.blp)
    app.extensions["ums_api"] = api

    app.register_blueprint(docs.blp)
    observability.register(app)  # first: its timer starts before the other hooks
    context.register(app)
    problems.register(app)
    cors.register(app, settings.cors_allowed_origins)
    return app


def bootstrap_admin(app: Flask, settings: Settings) -> None:
    """BOOTSTRAP_ADMIN_EMAIL/PASSWORD: create that admin unless an active user has the email
    (idempotent; workers starting together race on the unique index, one wins)."""
    if not (settings.bootstrap_admin_email and settings.bootstrap_admin_password):
        return
    from sqlalchemy.exc import OperationalError

    factory = app.extensions["ums_session_factory"]
    try:
        with factory() as db:
            service = UserService(
                SqlUserRepository(db),
                app.extensions["ums_passwords"],
                SqlRefreshTokenRepository(db),
            )
            if service.repository.active_with_email(settings.bootstrap_admin_email.lower()):
                return
            try:
                service.create(
                    settings.bootstrap_admin_email,
                    "Administrator",
                    settings.bootstrap_admin_password,
                    Role.ADMIN,
                )
                db.commit()
            except EmailTakenError:
                db.rollback()
    except OperationalError:  # database down or not migrated: readiness will say so
        app.logger.warning("bootstrap admin skipped: the database is unavailable")
