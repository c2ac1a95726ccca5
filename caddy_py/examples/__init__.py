"""Runnable examples: `python -m caddy_py.examples.backend` (a notifier backend) and demo/."""
