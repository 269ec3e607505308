"""The Qt desktop shell: the wall display, its views, the alarm list and exhibition mode."""
