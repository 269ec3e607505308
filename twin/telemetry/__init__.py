"""Feeds of device readings (simulator, MQTT, replay): each runs off the GUI thread and only
enqueues checked messages."""
