"""The AI Tooling settings page's sections, for `ui/pages/ai_tooling_settings.py` to put together.

Each section or dialog lives with its state: provider cards (`cards`), the connect wizard
(`wizard_dialog`, state in `wizard`), Backfill (`backfill`), Edit targeting (`targets`), Disconnect
(`disconnect`), sync logs with Cancel (`sync_logs`, `cancel_run`), View run (`run_detail`), unmatched
e-mails with Add person and Use for an existing person (`unmatched`), and the help (`help`).
"""

from orgonaut.ui.pages.ai_tooling.backfill import backfill_dialog
from orgonaut.ui.pages.ai_tooling.cards import provider_cards
from orgonaut.ui.pages.ai_tooling.credit_price import credit_price_dialog
from orgonaut.ui.pages.ai_tooling.disconnect import disconnect_dialog
from orgonaut.ui.pages.ai_tooling.help import help_section, upgrade_notice
from orgonaut.ui.pages.ai_tooling.run_detail import run_dialog
from orgonaut.ui.pages.ai_tooling.seat_price import seat_price_dialog
from orgonaut.ui.pages.ai_tooling.sync_logs import sync_logs
from orgonaut.ui.pages.ai_tooling.targets import targeting_dialog
from orgonaut.ui.pages.ai_tooling.unmatched import add_person_dialog, link_person_dialog, unmatched_emails
from orgonaut.ui.pages.ai_tooling.wizard_dialog import wizard_dialog

__all__ = [
    "add_person_dialog", "backfill_dialog", "credit_price_dialog", "disconnect_dialog", "help_section",
    "link_person_dialog", "provider_cards", "run_dialog", "seat_price_dialog", "sync_logs", "targeting_dialog",
    "unmatched_emails", "upgrade_notice", "wizard_dialog",
]
