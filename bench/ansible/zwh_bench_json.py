# A stdout callback for bench/fleet.js: one JSON document at the end of the play with, per task,
# its wall time (first host started to last host finished) and each host's outcome, and the
# per-host stats of the PLAY RECAP. ansible-core alone has no JSON callback (the `json` one lives
# in the ansible.posix collection, which bench/fleet.js does not require).
from __future__ import annotations

import datetime
import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: zwh_bench_json
    type: stdout
    short_description: JSON results for the Wheelhouse fleet benchmark
    description: Prints one JSON document (tasks with durations and per-host results, stats) when the play ends.
"""

KEEP = ("changed", "failed", "unreachable", "skipped", "msg", "rc", "stderr", "exception")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "zwh_bench_json"

    def __init__(self):
        super().__init__()
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"play": {"name": play.get_name()}, "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        now = _now()
        self.plays[-1]["tasks"].append({"task": {"name": task.get_name(), "duration": {"start": now, "end": now}}, "hosts": {}})

    def _record(self, result, **flags):
        task = self.plays[-1]["tasks"][-1]
        out = {k: v for k, v in result._result.items() if k in KEEP}
        if isinstance(out.get("stderr"), str):
            out["stderr"] = out["stderr"][-2000:]
        if isinstance(out.get("exception"), str):
            out["exception"] = out["exception"][-2000:]
        out.update(flags)
        task["hosts"][result._host.get_name()] = out
        task["task"]["duration"]["end"] = _now()

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        summary = {h: stats.summarize(h) for h in sorted(stats.processed.keys())}
        self._display.display(json.dumps({"plays": self.plays, "stats": summary}))
