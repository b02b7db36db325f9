"""The profiler's state: configuration, run/stop/pause, dumping."""
from __future__ import annotations

import json
import threading
import time
from typing import Any

from ..base import atomic_write
from .recorder import Recorder
from .stats import format_stats
from .trace import build_trace

__all__ = ["PROFILER", "Profiler", "DEFAULT_CONFIG"]

DEFAULT_CONFIG: dict[str, Any] = {
    "filename": "profile.json",
    "profile_all": False,
    "profile_symbolic": True,
    "profile_imperative": True,
    "profile_memory": True,
    "profile_api": True,
    "continuous_dump": False,
    "dump_period": 1.0,
    "aggregate_stats": False,
    "profile_process": "worker",
}
_ALIASES = {"file_name": "filename"}


def _as_bool(key: str, v: Any) -> bool:
    if isinstance(v, str):
        low = v.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        raise ValueError(f"set_config: {key} must be a boolean, got {v!r}")
    return bool(v)


def _check_process(fname: str, profile_process: str) -> None:
    if profile_process not in ("worker", "server"):
        raise ValueError(f"{fname}: profile_process must be 'worker' or 'server', "
                         f"got {profile_process!r}")
    if profile_process == "server":
        raise ValueError(f"{fname}: profile_process='server' needs a distributed kvstore "
                         f"server, which ndengine does not run")


class Profiler:
    def __init__(self) -> None:
        self.rec = Recorder()
        self.config = dict(DEFAULT_CONFIG)
        self.state = "stop"
        self.paused = False
        self.t0: float | None = None
        self.finished_dump = False      # dump(finished=True) happened: next run starts afresh
        self._lock = threading.Lock()

    @property
    def recording(self) -> bool:
        return self.state == "run" and not self.paused

    def set_config(self, **kwargs: Any) -> None:
        for key, value in kwargs.items():
            key = _ALIASES.get(key, key)
            if key not in DEFAULT_CONFIG:
                raise ValueError(f"set_config: unknown option {key!r}; known options: "
                                 f"{', '.join(sorted(DEFAULT_CONFIG))}")
            if key == "filename":
                value = str(value)
            elif key == "dump_period":
                value = float(value)
            elif key == "profile_process":
                _check_process("set_config", value)
            else:
                value = _as_bool(key, value)
            self.config[key] = value
        self._apply()

    def _apply(self) -> None:
        c = self.config
        every = c["profile_all"]
        self.rec.imperative = every or c["profile_imperative"] or c["profile_symbolic"]
        self.rec.api = every or c["profile_api"]
        self.rec.memory = every or c["profile_memory"]

    def set_state(self, state: str = "stop", profile_process: str = "worker") -> None:
        _check_process("set_state", profile_process)
        if state not in ("run", "stop"):
            raise ValueError(f"set_state: state must be 'run' or 'stop', got {state!r}")
        with self._lock:
            if state == self.state:
                return
            self.state = state
            if state == "run":
                if self.t0 is None:
                    self.t0 = time.perf_counter()
                self.paused = False
                if self.finished_dump:
                    self.finished_dump = False
                    self.rec.clear_finished()
                self._sync_recorder()
            else:
                self.rec.stop()
                if self.config["continuous_dump"]:
                    self._dump_locked(finished=False)

    def _sync_recorder(self) -> None:
        if self.recording and self.rec.imperative:
            self.rec.start()
        else:
            self.rec.stop()

    def pause(self) -> None:
        with self._lock:
            self.paused = True
            self._sync_recorder()

    def resume(self) -> None:
        with self._lock:
            self.paused = False
            self._sync_recorder()

    def trace(self) -> dict[str, Any]:
        records, user = self.rec.snapshot()
        from ..engine import get_engine

        t0 = self.t0 if self.t0 is not None else time.perf_counter()
        return build_trace(records, user, t0, api=self.rec.api,
                           memory=self.rec.memory,
                           other={"engine": get_engine().kind, "source": "ndengine.profiler"})

    def dump(self, finished: bool = True) -> str:
        with self._lock:
            return self._dump_locked(finished)

    def _dump_locked(self, finished: bool) -> str:
        trace = self.trace()
        path = self.config["filename"]
        with atomic_write(path, "profiler.dump", text=True) as f:
            json.dump(trace, f, separators=(",", ":"))
        if finished:   # like MXNet, the dumped events are gone for the next session
            if self.state == "run":
                self.rec.clear_finished()
            else:      # kept until the next run, so dependency_graph() still sees them
                self.finished_dump = True
        return path

    def dumps(self, reset: bool = False, format: str = "table", sort_by: str = "total",
              ascending: bool = False) -> str:
        text = format_stats(self.rec.fold_stats(), format, sort_by, ascending)
        if reset:
            self.rec.reset_stats()
        return text


PROFILER = Profiler()
