"""Parts of Caddy's logging: encoders, writers and per-server access logs (see caddy_py.logging)."""
