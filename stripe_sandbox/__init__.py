"""Stripe sandbox: a local, stateful, Stripe-compatible gateway for development and tests.

Speaks Stripe's wire format (form-encoded bodies, `{"error": {...}}`, `Request-Id`,
`Idempotency-Key`) for checkout sessions, payment intents, charges, refunds and events,
serves a hosted checkout page at `/checkout/{id}`, and delivers signed webhooks.

Control API (JSON in, JSON out; no auth), see README.md in this package:

- `POST /_sandbox/checkout/sessions/{id}/complete` `{"outcome": "paid" | "async_succeeded" |
  "async_failed" | "async_pending"}` -> the session
- `POST /_sandbox/checkout/sessions/{id}/expire` -> the session
- `GET /_sandbox/checkout/sessions` -> `{"data": [...], "count": n}`
- `GET /_sandbox/deliveries` -> `{"data": [{event_id, event_type, url, attempts, status,
  last_status_code, last_error}]}`
- `POST /_sandbox/events/{event_id}/resend`
- `POST /_sandbox/faults` `{"path_prefix", "method", "mode": "error_500"|"hang"|"drop",
  "count", "seconds"}`; `DELETE /_sandbox/faults`
- `POST /_sandbox/webhooks` `{"paused", "duplicate", "shuffle"}`;
  `PUT /_sandbox/webhooks/endpoints` `{"urls": [...]}`
- `POST /_sandbox/reset`
"""
