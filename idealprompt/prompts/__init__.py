"""Texts sent to models, kept apart from the logic that sends them: one module per component."""
