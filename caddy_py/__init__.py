"""caddy-py: a Caddyfile-compatible web server and reverse proxy, home of websocket_notifier."""

__version__ = "0.1.0"
# The Caddy release whose behaviour (adapter output, runtime) caddy-py matches.
CADDY_COMPAT_VERSION = "v2.11.7"
