"""create_app(settings) -> Flask: the container built from settings, the API blueprints, error
answers, docs and the request hooks."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from sqlalchemy.exc import OperationalError
from werkzeug.routing import UUIDConverter

from service_kit.logs import GUNICORN, configure_logging
from service_kit.problems import PROBLEM_JSON
from user_management_service import observability
from user_management_service.api import (
    account,
    api_clients,
    audit,
    auth,
    context,
    cors,
    docs,
    health,
    mfa,
    problems,
    security,
    users,
)
from user_management_service.api.schemas import Problem
from user_management_service.container import Container, build_container
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
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
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
    configure_logging(settings.log_level, settings.log_format, GUNICORN)
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
    container = build_container(settings)
    container.keys.ensure()
    bootstrap_admin(app, container)

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
    api.register_blueprint(account.blp)
    api.register_blueprint(audit.blp)
    api.register_blueprint(api_clients.blp)
    api.register_blueprint(mfa.blp)
    api.register_blueprint(health.blp)

    app.register_blueprint(docs.blp)
    observability.register(app)  # first: its timer starts before the other hooks
    context.register(app, container)
    problems.register(app)
    cors.register(app, settings.cors_allowed_origins)
    return app


def bootstrap_admin(app: Flask, container: Container) -> None:
    """BOOTSTRAP_ADMIN_EMAIL/PASSWORD: that admin, unless an active user has the email."""
    email, password = (
        container.settings.bootstrap_admin_email,
        container.settings.bootstrap_admin_password,
    )
    if not (email and password):
        return
    try:
        container.users.bootstrap_admin(email, password)
    except OperationalError:  # database down or not migrated: readiness will say so
        app.logger.warning("bootstrap admin skipped: the database is unavailable")
    finally:
        container.end_session()


def generated_openapi(app: Flask) -> dict[str, Any]:
    """The document flask-smorest builds from the code; only the drift gate reads it (the served
    contract is specs/user_management.yaml)."""
    api: Api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    with app.app_context():
        document: dict[str, Any] = api.spec.to_dict()
    return document
