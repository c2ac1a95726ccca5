"""Caddy module intercept: Caddyfile parser in caddyfile.py."""
