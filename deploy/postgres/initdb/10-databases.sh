#!/bin/bash
# First start of the compose PostgreSQL: POSTGRES_DB (users) exists; add the payment
# service's and the web's (its sessions). Each service owns one database; a backup can take
# one without the others.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<-SQL
	CREATE DATABASE payments;
	CREATE DATABASE web;
SQL
