"""create_app(settings) -> Flask: wires settings, database, API blueprints, errors and docs."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api

from user_management_service.api import context, docs, health, problems, users
from user_management_service.api.schemas import Problem
from user_management_service.db.engine import make_engine, make_session_factory
from user_management_service.domain.passwords import PasswordHashing
from user_management_service.settings import Settings, get_settings


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest documenting every error response as the shared Problem schema."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if status < 400:
                continue
            self.spec.components.response(
                status.name,
                {
                    "description": status.phrase,
                    "content": {
                        problems.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    },
                },
                lazy=True,
            )

    def _register_pagination_header(self) -> None:  # no page-number pagination here
        pass

    def handle_http_exception(self, error: Any) -> Any:
        return problems.handle_http_exception(error)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or get_settings()
    app = Flask(__name__)
    app.config.update(
        API_TITLE="User Management API",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.1.0",
        MAX_CONTENT_LENGTH=settings.max_content_length,
        JSON_SORT_KEYS=False,
    )
    engine = make_engine(settings.database_url)
    app.extensions["ums_engine"] = engine
    app.extensions["ums_session_factory"] = make_session_factory(engine)
    app.extensions["ums_passwords"] = PasswordHashing(
        settings.argon2_time_cost, settings.argon2_memory_cost_kib
    )

    api = ProblemApi(app)
    api.spec.components.schema("Problem", schema=Problem)
    api.register_blueprint(users.blp)
    api.register_blueprint(health.blp)
    app.extensions["ums_api"] = api

    app.register_blueprint(docs.blp)
    context.register(app)
    problems.register(app)
    return app
