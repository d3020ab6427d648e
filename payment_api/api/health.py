"""Tag `health`: liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from payment_api.api.deps import ContainerDep
from payment_api.api.problems import problem_responses
from payment_api.api.schemas import Health, Readiness
from payment_api.domain.errors import DependencyError
from payment_api.domain.ports import GatewayError

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    responses=problem_responses(503),
    openapi_extra={"security": []},
)
async def getHealth() -> Health:  # noqa: N802 - operationId
    """Liveness: the process answers."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses=problem_responses(503),
    openapi_extra={"security": []},
)
def getReadiness(container: ContainerDep) -> Readiness:  # noqa: N802
    """Readiness: the database answers and the payment gateway is reachable."""
    problems: list[str] = []
    try:
        with container.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        problems.append(f"database: {type(exc).__name__}")
    try:
        container.gateway.ping()
    except GatewayError as exc:
        problems.append(f"gateway: {exc.detail}")
    if problems:
        raise DependencyError(503, "not ready: " + "; ".join(problems))
    return Readiness(status="ready", checks={"database": "ok", "gateway": "ok"})
