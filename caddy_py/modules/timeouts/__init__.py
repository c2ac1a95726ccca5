"""Caddy module timeouts: Caddyfile parser in caddyfile.py."""
