"""Rendering posts for each network: templates, little text and counting."""
