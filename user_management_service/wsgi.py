"""WSGI entry point: `gunicorn user_management_service.wsgi:app`."""

from __future__ import annotations

from user_management_service.app import create_app

app = create_app()
