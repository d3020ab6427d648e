"""Liveness (process up) and readiness (database reachable)."""

# flask-smorest ships no type hints: its decorators keep our typed signatures but mypy cannot know.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from flask_smorest import Blueprint

from user_management_service.api import schemas
from user_management_service.api.context import container
from user_management_service.api.security import PUBLIC

blp = Blueprint("health", __name__, description="Liveness and readiness.")


@blp.route("/healthz", methods=["GET"])
@blp.doc(operationId="getHealth", security=PUBLIC)
@blp.response(200, schemas.Health, description="The process is up.")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def getHealth() -> dict[str, str]:  # noqa: N802 (named after the operationId)
    """Liveness

    Answers 200 while the process runs; it does not touch the database.
    """
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
@blp.doc(operationId="getReadiness", security=PUBLIC)
@blp.response(200, schemas.Health, description="The database answers.")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def getReadiness() -> dict[str, str]:  # noqa: N802 (named after the operationId)
    """Readiness

    Answers 200 when the database answers a trivial query, else 503 (problem).
    """
    container().check_database()
    return {"status": "ready"}
