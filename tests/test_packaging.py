"""An installed diplobot (`pip install .`, the container image) holds every package the repository has: setuptools
installs only the packages pyproject.toml lists, and an editable install would hide a missing one."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent
NOT_SHIPPED = {"tests", "bench", "build", "deploy", ".venv"}


def test_every_package_in_the_tree_is_listed_for_installation():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    in_tree = {
        ".".join(("diplobot", *init.parent.relative_to(ROOT).parts)).rstrip(".")
        for init in ROOT.rglob("__init__.py")
        if not NOT_SHIPPED & set(init.relative_to(ROOT).parts) and "egg-info" not in str(init)
    }
    assert in_tree - listed == set(), "packages missing from [tool.setuptools] packages in pyproject.toml"
