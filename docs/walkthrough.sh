#!/usr/bin/env bash
# Every operation of both APIs, with curl, in an order in which each step works on a fresh
# `make run` (and again on a second run against the same data: the customer's email is new
# each run). Ids are carried forward in shell variables; nothing is filled in by hand.
#
#   make run                    # terminal 1
#   bash docs/walkthrough.sh    # terminal 2
#
# Each step prints `== step: ...`, the HTTP status and the interesting part of the answer.
# A step that gets another status than the one it expects stops the script with a message.
# Needs bash, curl and python3 (for reading JSON; jq is not assumed).
set -euo pipefail

# Where the services are (make run's defaults) and the admin that make run bootstraps
# (devstack/services.py: DEV_ADMIN_EMAIL / DEV_ADMIN_PASSWORD).
U=${U:-http://127.0.0.1:5000}
P=${P:-http://127.0.0.1:8000}
S=${S:-http://127.0.0.1:12111}
ADMIN_EMAIL=${ADMIN_EMAIL:-admin@example.com}
ADMIN_PASSWORD=${ADMIN_PASSWORD:-correct-horse-battery-staple-42}
# The reconcile command, run from the repository root. make run points the payment service
# at the sandbox with STRIPE_API_BASE; the CLI needs the same or it asks the real Stripe.
RECONCILE=${RECONCILE:-"STRIPE_API_BASE=$S .venv/bin/python -m payment_api reconcile"}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Every list of both APIs answers {"data": [...], "next_cursor": ...} (specs/STYLE.md).
LIST=data

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

step() { printf '\n== step: %s\n' "$*"; }
die() { printf '!! %s\n' "$*" >&2; exit 1; }

# call STATUS CURL_ARGS...: run curl, print the status, keep the answer in $BODY (headers in
# $TMP/headers); any other status than STATUS stops the script with the answer.
call() {
  local expected=$1 status
  shift
  status=$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "$@") ||
    die "curl failed: is the platform running (make run)? U=$U P=$P S=$S"
  BODY=$(cat "$TMP/body")
  if [[ $status != "$expected" ]]; then
    printf '!! expected HTTP %s, got %s from: curl %s\n%s\n' "$expected" "$status" \
      "$(sed -E 's/Bearer [^ ]+/Bearer .../g' <<<"$*")" "$BODY" >&2
    exit 1
  fi
  echo "HTTP $status"
}

# The JSON reader behind get, show and show_list (python3: jq is not assumed installed).
# PATHs are dotted: `id`, `price.amount`, `data.0.id`, `status_history.-1.event_id`.
JSON_READER=$(cat <<'PY'
import json, sys

def pick(value, path):
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

mode, *paths = sys.argv[1:]
body = json.load(sys.stdin)
if mode == "get":
    print(pick(body, paths[0]))
elif mode == "show":
    print("   " + "  ".join(f"{path}={pick(body, path)}" for path in paths))
else:  # list ENVELOPE PATH...
    envelope, *paths = paths
    items = body[envelope]
    more = f", next_cursor={pick(body, 'next_cursor')}" if "next_cursor" in body else ""
    print(f"   {len(items)} item(s){more}")
    for item in items:
        print("   - " + "  ".join(f"{path}={pick(item, path)}" for path in paths))
PY
)
get() { python3 -c "$JSON_READER" get "$1" <<<"$BODY"; }         # get PATH: one value of $BODY
show() { python3 -c "$JSON_READER" show "$@" <<<"$BODY"; }       # show PATH...: path=value ...
show_list() { python3 -c "$JSON_READER" list "$@" <<<"$BODY"; }  # show_list ENVELOPE PATH...

# header NAME: the value of a header of the last answer.
header() {
  awk -v name="$1" 'tolower($0) ~ "^" tolower(name) ":" { sub(/^[^:]*: */, ""); sub(/\r$/, ""); print }' \
    "$TMP/headers"
}

RUN=$(date +%s)-$RANDOM
ADA_EMAIL="ada-$RUN@example.com"
ADA_PASSWORD="correct horse battery staple"
JSON=(-H 'Content-Type: application/json')

# ---------------------------------------------------------------- users and tokens
step "register a customer"
call 201 -X POST "$U/users" "${JSON[@]}" \
  -d "{\"email\":\"$ADA_EMAIL\",\"full_name\":\"Ada Lovelace\",\"password\":\"$ADA_PASSWORD\"}"
ADA_ID=$(get id)
show id email role status

step "log in as the customer (OAuth2 password grant, form-encoded)"
call 200 -X POST "$U/auth/token" --data-urlencode "username=$ADA_EMAIL" \
  --data-urlencode "password=$ADA_PASSWORD"
ADA=$(get access_token)
ADA_REFRESH=$(get refresh_token)
show token_type expires_in refresh_expires_in

step "log in as the admin"
call 200 -X POST "$U/auth/token" --data-urlencode "username=$ADMIN_EMAIL" \
  --data-urlencode "password=$ADMIN_PASSWORD"
ADMIN=$(get access_token)
show token_type expires_in

step "who am I (GET /users/me)"
call 200 -H "Authorization: Bearer $ADA" "$U/users/me"
show id email full_name role

step "list active users as admin, one per page"
call 200 -H "Authorization: Bearer $ADMIN" "$U/users?limit=1&status=active"
show_list "$LIST" email role
CURSOR=$(get next_cursor)
[[ $CURSOR != null ]] || die "expected a next_cursor with limit=1 (there are two users at least)"

step "next page of users (cursor=next_cursor)"
call 200 -H "Authorization: Bearer $ADMIN" "$U/users?limit=1&status=active&cursor=$CURSOR"
show_list "$LIST" email role

step "find the customer by email (admin)"
call 200 -H "Authorization: Bearer $ADMIN" --get "$U/users" --data-urlencode "email=$ADA_EMAIL"
show_list "$LIST" id email

step "update own profile"
call 200 -X PATCH -H "Authorization: Bearer $ADA" "${JSON[@]}" -d '{"full_name":"Ada King"}' \
  "$U/users/$ADA_ID"
show id full_name updated_at

step "refresh the tokens (the refresh token rotates: keep the new one)"
call 200 -X POST "$U/auth/refresh" "${JSON[@]}" -d "{\"refresh_token\":\"$ADA_REFRESH\"}"
ADA=$(get access_token)
ADA_REFRESH=$(get refresh_token)
show token_type expires_in

step "log out (revokes the refresh token and its family)"
call 204 -X POST "$U/auth/logout" "${JSON[@]}" -d "{\"refresh_token\":\"$ADA_REFRESH\"}"

step "the revoked refresh token is refused"
call 401 -X POST "$U/auth/refresh" "${JSON[@]}" -d "{\"refresh_token\":\"$ADA_REFRESH\"}"
show title detail
# Access tokens already issued stay valid until they expire (15 minutes): $ADA goes on.

# ---------------------------------------------------------------- catalogue
# Admins write, anyone signed in reads. Money: integer minor units + ISO 4217 code.
step "create a product (admin)"
call 201 -H "Authorization: Bearer $ADMIN" "${JSON[@]}" \
  -d "{\"name\":\"Green tea $RUN\",\"price\":{\"amount\":1099,\"currency\":\"USD\"}}" \
  "$P/products"
PRODUCT_ID=$(get id)
show id name price active

step "list active products (customer)"
call 200 -H "Authorization: Bearer $ADA" "$P/products?active=true&limit=3"
show_list "$LIST" name price.amount price.currency

step "get the product"
call 200 -H "Authorization: Bearer $ADA" "$P/products/$PRODUCT_ID"
show id name price

step "change its price (admin)"
call 200 -X PATCH -H "Authorization: Bearer $ADMIN" "${JSON[@]}" \
  -d '{"price":{"amount":1299,"currency":"USD"}}' "$P/products/$PRODUCT_ID"
show id price

# ---------------------------------------------------------------- checkout
ORDER_KEY="order-$RUN"
ORDER="{\"line_items\":[{\"product_id\":\"$PRODUCT_ID\",\"quantity\":2}]}"

step "checkout with line items and an Idempotency-Key (customer)"
call 201 -H "Authorization: Bearer $ADA" "${JSON[@]}" -H "Idempotency-Key: $ORDER_KEY" \
  -d "$ORDER" "$P/checkout-sessions"
PAYMENT_ID=$(get payment_id)
SESSION_ID=$(get session_id)
show payment_id session_id status amount url

step "retry with the same Idempotency-Key: the same session, no second one"
call 201 -H "Authorization: Bearer $ADA" "${JSON[@]}" -H "Idempotency-Key: $ORDER_KEY" \
  -d "$ORDER" "$P/checkout-sessions"
show payment_id session_id
[[ $(get session_id) == "$SESSION_ID" ]] || die "the retry made another session"
echo "   the same session_id as the first answer"

step "checkout for a custom amount in JPY, a zero-decimal currency: 5000 is 5000 yen (admin)"
call 201 -H "Authorization: Bearer $ADMIN" "${JSON[@]}" \
  -d '{"custom_amount":{"amount":5000,"currency":"JPY"},"description":"Donation"}' \
  "$P/checkout-sessions"
show payment_id session_id amount

# Without a token too when the payment service runs with ALLOW_ANONYMOUS_CHECKOUT=true
# (make run sets it); with the customer's token the payment is theirs.
step "GET /checkout/?price=... redirects (303) to the hosted page"
call 303 -H "Authorization: Bearer $ADA" "$P/checkout/?price=12.50&currency=eur"
LOCATION=$(header Location)
echo "   Location: $LOCATION"

step "expire that session (sandbox control API), as if the shopper walked away"
call 200 -X POST "$S/_sandbox/checkout/sessions/${LOCATION##*/}/expire"
show id status

# ---------------------------------------------------------------- pay
# In a browser: open the checkout's `url` and press Pay. Here the sandbox does it.
step "pay the line-items checkout (sandbox control API)"
call 200 -X POST "$S/_sandbox/checkout/sessions/$SESSION_ID/complete" "${JSON[@]}" \
  -d '{"outcome":"paid"}'
show id status payment_status

step "wait until the webhook made the payment succeeded"
for _ in $(seq 50); do
  call 200 -H "Authorization: Bearer $ADA" "$P/payments/$PAYMENT_ID" >/dev/null
  [[ $(get status) == succeeded ]] && break
  sleep 0.2
done
[[ $(get status) == succeeded ]] || die "payment $PAYMENT_ID is still $(get status) after 10 s"
echo "HTTP 200"
show id status amount gateway.payment_intent_id
show_list status_history from_status to_status event_id
# The webhook event that made it succeeded (the last change) is stored by the payment service.
EVENT_ID=$(get status_history.-1.event_id)

step "list the customer's succeeded payments"
call 200 -H "Authorization: Bearer $ADA" "$P/payments?status=succeeded&limit=20"
show_list "$LIST" id status amount.amount amount.currency

# ---------------------------------------------------------------- refunds (admin)
step "refund part of the payment"
call 201 -H "Authorization: Bearer $ADMIN" "${JSON[@]}" -H "Idempotency-Key: refund-$RUN-1" \
  -d '{"amount":500,"reason":"requested_by_customer"}' "$P/payments/$PAYMENT_ID/refunds"
show id amount status gateway_refund_id

step "list the payment's refunds"
call 200 -H "Authorization: Bearer $ADMIN" "$P/payments/$PAYMENT_ID/refunds"
show_list "$LIST" id amount.amount status

step "the payment is partially refunded"
call 200 -H "Authorization: Bearer $ADA" "$P/payments/$PAYMENT_ID"
show status amount refunded_amount

# ---------------------------------------------------------------- operations (admin)
# The stored event's id comes from the payment's status_history above (the sandbox also
# lists its events, as Stripe does: curl -u sk_test_sandbox: "$S/v1/events?limit=3").
step "the events the platform emitted about the payment, newest first (admin)"
call 200 -H "Authorization: Bearer $ADMIN" "$P/events?object_id=$PAYMENT_ID"
show_list "$LIST" type data.status data.refunded_amount.amount

step "register a webhook endpoint for every event type (admin; its secret is shown once)"
# Nothing listens on port 9 here: the deliveries fail and are retried, as a receiver that is
# down would see them. Yours would be https://... on a public address (README "Events").
call 201 "${JSON[@]}" -H "Authorization: Bearer $ADMIN" \
  -d "{\"url\":\"http://127.0.0.1:9/hooks/$RUN\",\"event_types\":[\"*\"]}" "$P/webhook-endpoints"
show id url status secret
ENDPOINT_ID=$(get id)

step "send the payment's first event to it now (admin), then read its deliveries"
call 200 -H "Authorization: Bearer $ADMIN" "$P/events?object_id=$PAYMENT_ID"
FIRST_EVENT=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][-1]["id"])' <<<"$BODY")
call 202 -X POST -H "Authorization: Bearer $ADMIN" \
  "$P/webhook-endpoints/$ENDPOINT_ID/deliveries/$FIRST_EVENT/retry"
show event_type state attempts
call 200 -H "Authorization: Bearer $ADMIN" "$P/webhook-endpoints/$ENDPOINT_ID/deliveries"
show_list "$LIST" event_type state attempts next_attempt_at

step "the stored Stripe events that completed checkouts, with their processing state (admin)"
call 200 -H "Authorization: Bearer $ADMIN" "$P/webhooks/events?type=checkout.session.completed&limit=3"
show_list "$LIST" id state outcome

step "replay the stored webhook event (idempotent: nothing moves twice)"
call 200 -X POST -H "Authorization: Bearer $ADMIN" "$P/webhooks/events/$EVENT_ID/replay"
show id type state outcome attempts

step "reconcile open payments and pending refunds with Stripe"
echo "   \$ $RECONCILE"
REPORT=$(cd "$ROOT" && eval "$RECONCILE" 2>"$TMP/reconcile.log") || {
  tail -n 5 "$TMP/reconcile.log" >&2
  die "reconcile failed: ${REPORT:-no report}"
}
echo "   $REPORT"

# ---------------------------------------------------------------- machines: API clients and scopes
step "create an API client for a merchant's backend (admin; its secret is shown once)"
call 201 -H "Authorization: Bearer $ADMIN" "${JSON[@]}" \
  -d '{"name":"Walkthrough backend","scopes":["payments:read","events:read"]}' "$U/api-clients"
CLIENT_ID=$(get id) CLIENT_SECRET=$(get client_secret)
show id scopes status

step "the client gets a token (OAuth2 client credentials, HTTP Basic; no refresh token)"
call 200 -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$U/auth/token"
MACHINE=$(get access_token)
show scope expires_in

step "the machine reads payments with payments:read"
call 200 -H "Authorization: Bearer $MACHINE" "$P/payments?limit=2"
show_list "$LIST" id status

step "a product write is outside its scopes (403 insufficient_scope)"
call 403 -H "Authorization: Bearer $MACHINE" "${JSON[@]}" \
  -d '{"name":"Machine tea","price":{"amount":100,"currency":"USD"}}' "$P/products"
show detail

step "revoke the client (admin); its token requests stop at once"
call 204 -X POST -H "Authorization: Bearer $ADMIN" "$U/api-clients/$CLIENT_ID/revoke"
call 401 -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$U/auth/token"

step "list the API clients (admin; never a secret)"
call 200 -H "Authorization: Bearer $ADMIN" "$U/api-clients?limit=5"
show_list "$LIST" id name status

# ---------------------------------------------------------------- a second factor (TOTP)
# An authenticator app's code, computed as the app does (RFC 6238: HMAC-SHA1, 30 s, 6 digits).
totp() {
  python3 - "$1" "${2:-0}" <<'PY'
import base64, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30 + int(sys.argv[2])), "sha1").digest()
offset = mac[-1] & 15
print(f"{(struct.unpack('>I', mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}")
PY
}

step "start two-step sign-in: the current password, then the secret for the app (customer)"
call 201 -H "Authorization: Bearer $ADA" "${JSON[@]}" \
  -d "{\"current_password\":\"$ADA_PASSWORD\"}" "$U/users/me/mfa/totp"
TOTP_SECRET=$(get secret)
show otpauth_uri

step "confirm it with the app's code: ten recovery codes, shown once"
call 200 -H "Authorization: Bearer $ADA" "${JSON[@]}" \
  -d "{\"code\":\"$(totp "$TOTP_SECRET")\"}" "$U/users/me/mfa/totp/confirm"
RECOVERY=$(get recovery_codes.0)
show recovery_codes

step "the password alone no longer signs in (401 mfa-required)"
call 401 --data-urlencode "username=$ADA_EMAIL" --data-urlencode "password=$ADA_PASSWORD" \
  "$U/auth/token"
show type

step "the password and the next code do (the current one was spent by the confirmation)"
call 200 --data-urlencode "username=$ADA_EMAIL" --data-urlencode "password=$ADA_PASSWORD" \
  --data-urlencode "otp=$(totp "$TOTP_SECRET" 1)" "$U/auth/token"
ADA=$(get access_token)

step "turn it off with a recovery code"
call 204 -H "Authorization: Bearer $ADA" "${JSON[@]}" -d "{\"code\":\"$RECOVERY\"}" \
  "$U/users/me/mfa/totp/disable"

# ---------------------------------------------------------------- the end: deactivate the product, then the customer
step "make the product inactive: active=false (admin)"
call 200 -X PATCH -H "Authorization: Bearer $ADMIN" "${JSON[@]}" -d '{"active":false}' \
  "$P/products/$PRODUCT_ID"
show id active

step "an inactive product refuses checkout (409)"
call 409 -H "Authorization: Bearer $ADA" "${JSON[@]}" -d "$ORDER" "$P/checkout-sessions"
show title detail

step "clear the customer's failed sign-ins, e.g. after too many typos (admin)"
call 204 -X POST -H "Authorization: Bearer $ADMIN" "$U/users/$ADA_ID/unlock"

step "forgot the password? the same 202 for any email; the link goes by mail (data/mail/)"
call 202 "${JSON[@]}" -d "{\"email\":\"$ADA_EMAIL\"}" "$U/auth/password-reset"
show detail

step "the audit trail records the unlock: who, from where, which request (admin)"
call 200 -H "Authorization: Bearer $ADMIN" "$U/audit/access-events?action=user.unlocked&target_id=$ADA_ID"
show_list data action actor.request_id

step "deactivate the customer (admin; soft delete)"
call 204 -X DELETE -H "Authorization: Bearer $ADMIN" "$U/users/$ADA_ID"

step "the deactivated customer's access token stops working (401)"
call 401 -H "Authorization: Bearer $ADA" "$U/users/me"
show title detail

printf '\nDone: customer %s, payment %s.\n' "$ADA_EMAIL" "$PAYMENT_ID"
