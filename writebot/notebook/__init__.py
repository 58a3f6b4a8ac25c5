"""Notebook 02's session (Workbench) and the widgets of notebooks 02, 04 and 05."""
