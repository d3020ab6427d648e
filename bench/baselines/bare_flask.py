"""A minimal Flask JSON endpoint, served by the same gunicorn config as the user service."""

from flask import Flask, Response, jsonify

app = Flask(__name__)


@app.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@app.get("/users/<user_id>")
def get_user(user_id: str) -> Response:
    return jsonify(
        id=user_id,
        email="bench@example.com",
        full_name="Bench User",
        role="customer",
        status="active",
    )
