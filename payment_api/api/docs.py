"""The hand-written contract as served (/openapi.json, /openapi.yaml), Swagger UI at /docs
(local assets, no CDN) and a page per problem type at /problems/<slug>."""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from typing import Any

import flask_swagger_ui
import yaml
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from payment_api.api.deps import CLIENT_CREDENTIALS_SCHEME, OAUTH2_SCHEME
from payment_api.container import Container
from service_kit.problems import problem_types

SPEC_PATH = Path(__file__).resolve().parents[2] / "specs" / "payment_api.yaml"
SWAGGER_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def contract() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return document


def served_contract(request: Request) -> dict[str, Any]:
    """The contract as written. Two addresses belong to the deployment, not the contract:
    `servers` names this very server, and the OAuth2 `tokenUrl`s (the people's password flow,
    the API clients' client credentials) the user service it trusts (specs/STYLE.md)."""
    container: Container = request.app.state.container
    document = {**contract(), "servers": [{"url": str(request.base_url).rstrip("/")}]}
    components = dict(document["components"])
    schemes = dict(components["securitySchemes"])
    for name, flow in (
        (OAUTH2_SCHEME, "password"),
        (CLIENT_CREDENTIALS_SCHEME, "clientCredentials"),
    ):
        oauth2 = schemes[name]
        trusted = {**oauth2["flows"][flow], "tokenUrl": container.settings.token_url}
        schemes[name] = {**oauth2, "flows": {**oauth2["flows"], flow: trusted}}
    components["securitySchemes"] = schemes
    document["components"] = components
    return document


@router.get("/openapi.json")
async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(served_contract(request))


@router.get("/openapi.yaml")
async def openapi_yaml(request: Request) -> Response:
    text = yaml.safe_dump(served_contract(request), sort_keys=False, allow_unicode=True)
    return Response(text, media_type="application/yaml")


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Payment API - Swagger UI",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
        # the token from Authorize survives a reload of the page
        swagger_ui_parameters={"persistAuthorization": True},
    )


def problem_page(title: str, kinds: list[tuple[str, dict[str, Any]]]) -> HTMLResponse:
    sections = "".join(
        f'<section id="{slug}"><h1>{html.escape(kind["title"])}</h1>'
        f"<p><code>type: /problems/{slug}</code> &middot; HTTP {kind['status']}</p>"
        f"<p>{html.escape(kind['description'])}</p></section>"
        for slug, kind in kinds
    )
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><main>{sections}</main></body></html>"
    )


@router.get("/problems")
async def problem_index() -> HTMLResponse:
    return problem_page("Problem types", list(problem_types().items()))


@router.get("/problems/{slug}")
async def problem_type_page(slug: str) -> HTMLResponse:
    kind = problem_types().get(slug)
    if kind is None:
        page = problem_page("Not found", [])
        page.status_code = 404
        return page
    return problem_page(kind["title"], [(slug, kind)])


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/docs/assets", StaticFiles(directory=SWAGGER_DIST), name="swagger-assets")
