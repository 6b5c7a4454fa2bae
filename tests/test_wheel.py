"""`pip install .` gives a working portal: templates, static files and migrations included."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from .servers import fetch, gunicorn

CHECKOUT = Path(__file__).resolve().parent.parent
# What a clean clone holds, less what this test does not build from.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "instance", "tests", "*.egg-info", "__pycache__", ".*cache"
)


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - the suite's own interpreter and the wheel's venv
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_built_wheel_serves_the_portal_outside_the_checkout(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(CHECKOUT, sources, ignore=NOT_SOURCES)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "-w",
        tmp_path / "dist",
        ".",
        cwd=sources,
    )
    (wheel,) = (tmp_path / "dist").glob("onthaalportaal-*.whl")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        wheel,
        cwd=tmp_path,
    )
    # The dependencies come from this suite's environment (no network): appended after the
    # new venv's own packages, so `portal` is the installed wheel's. A path added this way
    # has its .pth files ignored, so the checkout's editable install stays out.
    site_packages = Path(
        run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).strip()
    )
    (site_packages / "suite_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    served_from = tmp_path / "srv"
    served_from.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTAL_", "FLASK_", "PYTEST_", "PYTHON"))
    } | {"PORTAL_WORKERS": "1"}
    where = run(python, "-c", "import portal; print(portal.__file__)", cwd=served_from, env=env)
    assert Path(where.strip()).is_relative_to(venv)
    shipped = Path(where.strip()).parent / "static"
    assert (shipped / "portal.css").is_file()
    assert not (shipped / "screenshots").exists()  # the README's pictures stay in the checkout

    run(python, "-m", "flask", "--app", "portal", "db", "upgrade", cwd=served_from, env=env)
    # The instance folder is ./instance where the portal runs, not inside the installation.
    assert (served_from / "instance" / "portal.sqlite3").is_file()
    assert (served_from / "instance" / "secret_key").is_file()

    command = [str(python), "-m", "gunicorn", "-c", "python:portal.gunicorn_config"]
    with gunicorn(command, cwd=served_from, env=env, log=tmp_path / "gunicorn.log") as base:
        login = fetch(f"{base}/login")
        # The English catalogue travels in the wheel, compiled.
        english = fetch(f"{base}/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
        stylesheet = fetch(f"{base}/static/portal.css")
        ready = fetch(f"{base}/readyz")
    assert login.status == 200
    assert "<h1>Aanmelden</h1>" in login.body and 'lang="nl-BE"' in login.body
    assert "<h1>Log in</h1>" in english.body and '<html lang="en">' in english.body
    assert stylesheet.status == 200
    assert stylesheet.body == (CHECKOUT / "static" / "portal.css").read_text()
    assert ready.body == "ready\n"
