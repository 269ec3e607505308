"""Analyses over a scene and its live state for the situational views (pure data: no Qt, no VTK)."""
