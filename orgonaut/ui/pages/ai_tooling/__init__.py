"""The AI Tooling settings page: state, rows and components (assembled in ai_tooling_settings.py)."""
