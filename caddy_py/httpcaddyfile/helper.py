"""The Helper lives in directives.py (as in Caddy); this name is what registry.py refers to."""
from caddy_py.httpcaddyfile.directives import Helper, parse_segment_as_config, parse_segment_as_subroute

__all__ = ["Helper", "parse_segment_as_config", "parse_segment_as_subroute"]
