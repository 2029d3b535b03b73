"""In-app paths that more than the pages need (e-mails link to them), in a module free of Reflex.

`orgonaut.ui.routes` re-exports these next to the pages' own routes.
"""

from __future__ import annotations

AI_TOOLING_SETTINGS = "/settings/integrations/ai-tooling"
NOTIFICATION_SETTINGS = "/settings/notifications"
