"""Live device state, alarm rules and events."""
