"""Shared page pieces for the org pages: view rows, tables, badges, panels and the actor edit modal."""
