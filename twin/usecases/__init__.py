"""What a user does with the twin, one short ``verb_noun`` function each.

The CLI and the desktop shell call these for these jobs and nothing below them, so a job is
written once and behaves the same from both: ``open_scene`` (``scene``), ``start_session``,
``replay_at``, ``statuses_at``, ``backfill_history`` (``session``), ``find_event_log``,
``acknowledge_event``, ``dispatch_event``, ``close_event`` (``events``), ``save_bookmark``
(``bookmarks``), ``search_devices`` (``search``), ``read_scene_register``, ``start_people``,
``store_register``, ``unmask_names`` (``people``). Each takes what it works on as arguments
(a scene, an event log, a session): no globals, no Qt, testable with real objects.
"""
