"""What both services run on, written once: database engine with timeouts, JSON logs with request
ids, Prometheus request metrics, RFC 9457 problem bodies and the verified-token cache.

Nothing here knows a service's settings, routes or domain: each service passes in what is its own.
"""
