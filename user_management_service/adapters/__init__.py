"""Adapters behind the domain's ports that are not the database (db/): signing keys, JWTs,
password hashing."""
