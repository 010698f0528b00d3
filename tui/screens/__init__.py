"""Screens pushed over the main app screen (help; later open/save dialogs)."""
