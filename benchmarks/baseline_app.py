"""The throughput baseline: a bare Flask app rendering a 50-row Jinja table, no database.

Served by benchmarks/throughput.py under the same gunicorn settings as the portal.
"""

from __future__ import annotations

from flask import Flask
from harness import BASELINE_ROWS, BASELINE_TEMPLATE

app = Flask(__name__)
template = app.jinja_env.from_string(BASELINE_TEMPLATE)


@app.get("/")
def table() -> str:
    return template.render(rows=BASELINE_ROWS[:50])
