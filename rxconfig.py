"""Reflex configuration, read from the environment through orgonaut.settings."""

import os
import shutil
from pathlib import Path

import reflex as rx

from orgonaut.settings import get_settings

settings = get_settings()
_bun = Path(
    os.environ.get("REFLEX_BUN_PATH")
    or shutil.which("bun")
    or Path(__file__).parent / ".tools" / "node_modules" / ".bin" / "bun"
)

config = rx.Config(
    app_name="orgonaut",
    frontend_port=settings.port,
    backend_port=settings.port,
    api_url=settings.base_url,
    deploy_url=settings.base_url,
    # Reflex state lives in its own Redis database, apart from Celery's.
    redis_url=settings.redis_state_url,
    state_manager_mode="redis",
    trusted_proxy_hops=settings.trusted_proxy_hops,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    bun_path=_bun,
    plugins=[rx.plugins.RadixThemesPlugin()],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
