"""Gunicorn's settings when started from the checkout (`make serve`): see portal/gunicorn_config.py."""

from portal.gunicorn_config import *  # noqa: F403
