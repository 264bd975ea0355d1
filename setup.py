"""Package layout (everything else is in pyproject.toml).

Why a setup.py: the repository keeps its orchestration code in ``flows/`` and ``tasks/`` (the
``prefect.yaml`` entrypoints and the other engineers' paths) and its migrations in
``sql/migrations/``, but a wheel must not install generic top-level packages named ``flows``
and ``tasks``, and must carry the migrations. So the three folders are mapped into the
``jobinsight`` package: ``jobinsight.flows``, ``jobinsight.tasks`` and ``jobinsight.migrations``
(SQL files read with ``importlib.resources``). ``find_packages`` keeps new subpackages included
without editing a list.
"""

from setuptools import find_packages, setup

MAPPED = {"jobinsight.flows": "flows", "jobinsight.tasks": "tasks", "jobinsight.migrations": "sql/migrations"}


def _packages() -> list[str]:
    found = find_packages(include=["jobinsight", "jobinsight.*"])
    for package, folder in MAPPED.items():
        found.append(package)
        found += [f"{package}.{sub}" for sub in find_packages(folder)]
    return found


setup(
    packages=_packages(),
    package_dir=MAPPED,
    package_data={"jobinsight": ["data/*"], "jobinsight.migrations": ["*.sql"]},
)
