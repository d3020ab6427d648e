"""Swagger UI 5 at /docs (local assets, no CDN) and the hand-written contract at /openapi.json."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import flask_swagger_ui
import yaml
from flask import Blueprint, Response, jsonify, request, send_from_directory

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


@blp.get("/openapi.json")
def openapi_json() -> Response:
    """The contract as written, with `servers` pointing at this very server."""
    document = {**contract(), "servers": [{"url": request.host_url.rstrip("/")}]}
    return jsonify(document)


@blp.get("/docs")
def swagger_ui() -> Response:
    return Response(PAGE, mimetype="text/html")


@blp.get("/docs/assets/<path:filename>")
def swagger_assets(filename: str) -> Response:
    return send_from_directory(ASSETS, filename, max_age=3600)
