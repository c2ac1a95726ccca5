"""Caddy module push: Caddyfile parser in caddyfile.py."""
