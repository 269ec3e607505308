"""The alarm sound: a short two-tone chime for new major and critical alarms, played by the
desktop's sound player (PipeWire, PulseAudio or ALSA), or the system bell when none is there.
QtMultimedia is not used: it is not in PySide6-Essentials and its backends are heavy."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

from twin.core.paths import data_home

PLAYERS = (("pw-play", []), ("paplay", []), ("aplay", ["-q"]))


def chime_file() -> Path:
    """A 0.6 s two-tone WAV written once to the data directory."""
    path = data_home() / "alarm.wav"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = 22050
    t = np.arange(int(rate * 0.3)) / rate
    env = np.minimum(1.0, np.minimum(t / 0.01, (0.3 - t) / 0.05))
    tone = np.concatenate([np.sin(2 * np.pi * 880 * t) * env, np.sin(2 * np.pi * 660 * t) * env])
    pcm = (tone * 0.6 * 32767).astype("<i2")
    tmp = path.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    tmp.replace(path)
    return path


class Chime:
    def __init__(self) -> None:
        self.enabled = True
        self.played = 0
        self._proc: subprocess.Popen[bytes] | None = None

    def play(self, bell: object = None) -> None:
        """Play once unless off or still playing; ``bell`` is a callable fallback."""
        if not self.enabled:
            return
        self.played += 1
        if self._proc is not None and self._proc.poll() is None:
            return
        for name, args in PLAYERS:
            exe = shutil.which(name)
            if exe:
                try:
                    self._proc = subprocess.Popen(
                        [exe, *args, str(chime_file())],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    return
                except OSError:
                    continue
        if callable(bell):
            bell()
