"""Swagger UI 5 at /docs (local assets, no CDN), the hand-written contract at /openapi.json and
/openapi.yaml, and a page per problem type at /problems/<slug>."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import flask_swagger_ui
import yaml
from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template_string,
    request,
    send_from_directory,
)

from service_kit.problems import problem_types

SPEC_PATH = Path(__file__).resolve().parents[2] / "specs" / "user_management.yaml"
ASSETS = Path(flask_swagger_ui.__file__).resolve().parent / "dist"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>User Management API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true  // the token from Authorize survives a reload of the page
    });
  </script>
</body>
</html>
"""

blp = Blueprint("docs", __name__)


@lru_cache(maxsize=1)
def contract() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return document


PROBLEM_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ heading }}</title></head>
<body>
<main>
{% for slug, kind in kinds %}
  <section id="{{ slug }}">
    <h1>{{ kind.title }}</h1>
    <p><code>type: /problems/{{ slug }}</code> &middot; HTTP {{ kind.status }}</p>
    <p>{{ kind.description }}</p>
  </section>
{% endfor %}
</main>
</body>
</html>
"""


def served_contract() -> dict[str, Any]:
    """The contract as written; only `servers` names this very server."""
    return {**contract(), "servers": [{"url": request.host_url.rstrip("/")}]}


@blp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(served_contract())


@blp.get("/openapi.yaml")
def openapi_yaml() -> Response:
    text = yaml.safe_dump(served_contract(), sort_keys=False, allow_unicode=True)
    return Response(text, mimetype="application/yaml")


@blp.get("/problems")
def problem_index() -> str:
    return render_template_string(
        PROBLEM_PAGE, heading="Problem types", kinds=problem_types().items()
    )


@blp.get("/problems/<slug>")
def problem_page(slug: str) -> str:
    kind = problem_types().get(slug)
    if kind is None:
        abort(404)
    return render_template_string(PROBLEM_PAGE, heading=kind["title"], kinds=[(slug, kind)])


@blp.get("/docs")
def swagger_ui() -> Response:
    return Response(PAGE, mimetype="text/html")


@blp.get("/docs/assets/<path:filename>")
def swagger_assets(filename: str) -> Response:
    return send_from_directory(ASSETS, filename, max_age=3600)
