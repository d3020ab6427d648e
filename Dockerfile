# One image for every role of the platform: `docker run IMAGE ROLE` (user-service,
# payment-service, worker, web, sandbox, migrate, wait-migrations, reconcile; `docker run
# IMAGE` lists them). Build with `make image`, which first downloads the pinned wheels on the
# host (python -m deploy.wheelhouse): pip in a build cannot always reach PyPI, and a local
# wheelhouse is the reproducible way. Legacy builder compatible (no BuildKit features).
ARG BASE_IMAGE=python:3.11-slim-bookworm

# --- build: a virtualenv with the pinned runtime dependencies, and the compiled sources ---
FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INDEX=1
COPY build/image/wheelhouse /wheels
COPY requirements.txt deploy/requirements-runtime.in /requirements/
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/python -m pip install --quiet --find-links /wheels \
      -r /requirements/requirements-runtime.in -c /requirements/requirements.txt \
 && /opt/venv/bin/python -m pip uninstall --quiet --yes pip setuptools
# Sources as they are in the repository (the services find specs/ beside their packages, the
# web its templates/ and static/ inside its own); the payment service imports the generated
# user-service client, the web both clients.
COPY specs /app/specs
COPY service_kit /app/service_kit
COPY user_management_service /app/user_management_service
COPY payment_api /app/payment_api
COPY stripe_sandbox /app/stripe_sandbox
COPY mail_sink /app/mail_sink
COPY web /app/web
COPY deploy/__init__.py deploy/role.py deploy/migrations.py /app/deploy/
COPY clients/user_management_client/user_management_client /app/user_management_client
COPY clients/payment_api_client/payment_api_client /app/payment_api_client
# Bytecode now: at run time the root filesystem may be read-only.
RUN /opt/venv/bin/python -m compileall -q -j 0 /app

# --- final: the base, the virtualenv and the sources; no compiler, no pip, no caches ---
FROM ${BASE_IMAGE}
# A fixed uid/gid: volumes (signing keys) and Kubernetes' runAsUser/fsGroup name it.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin app \
 && install -d -o app -g app -m 0700 /var/lib/platform /var/lib/platform/keys
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    JWT_KEYS_DIR=/var/lib/platform/keys \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
USER 10001:10001
EXPOSE 8080
# Per role: the server's /healthz on $PORT; roles without HTTP are healthy while they run.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-m", "deploy.role", "healthcheck"]
ENTRYPOINT ["python", "-m", "deploy.role"]
CMD ["help"]

# Last: labels that change with every commit must not invalidate the cached layers above.
ARG VERSION=dev
ARG VCS_REF=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="payment-platform" \
      org.opencontainers.image.description="User service, payment service, worker, web frontend, migrations and Stripe sandbox of the payment platform; the role is the command" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://example.invalid/payment-platform" \
      org.opencontainers.image.licenses="UNLICENSED"
