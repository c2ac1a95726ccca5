"""Caddy module tracing: Caddyfile parser in caddyfile.py."""
