"""Imports every domain's tables so `SQLModel.metadata` is complete (Alembic, tests, tools).

Each domain keeps its tables in `orgonaut/<domain>/models.py`; this walks them so a new domain
needs no registration here.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlmodel import SQLModel

import orgonaut


def load_all_models() -> type[SQLModel]:
    for module in pkgutil.walk_packages(orgonaut.__path__, prefix="orgonaut."):
        if module.name.endswith(".models") and module.name != "orgonaut.models":
            importlib.import_module(module.name)
    return SQLModel


metadata = load_all_models().metadata
