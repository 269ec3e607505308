"""Lowest layer: errors, the local frame, resource paths. Standard library and numpy only."""
