"""The wheel carries the top-level `templates/` and `static/` inside the `portal` package.

The checkout keeps them beside the package (the project's fixed layout); an installed portal
has no checkout, so the build copies them in, where `portal._shipped` finds them. Metadata
and dependencies are in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("templates", "static")
# The README's screenshots live in static/ beside the portal's files; an installation has no use
# for them.
NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "screenshots")


class BuildWithPages(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            # An editable install reads them from the checkout.
            return
        for name in SHIPPED:
            target = Path(self.build_lib) / "portal" / name
            # A stale copy from an earlier build would carry deleted files along.
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(name, target, ignore=NOT_SHIPPED)


setup(cmdclass={"build_py": BuildWithPages})
