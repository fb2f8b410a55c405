"""SIGTERM: followers get a final frame telling them to reconnect and a 1012 close, the server
exits cleanly, the jobs keep running, and after a restart nothing of their logs is lost."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.api.test_follow_socket import follow_frame, ws_url
from tests.support import Server, logs_of

SCRIPT = "echo before; until [ -e go ]; do sleep 0.05; done; echo after"


def test_sigterm_says_goodbye_and_the_jobs_keep_running(tmp_path: Path) -> None:
    server = Server(tmp_path / "orchid").start()
    try:
        alice = server.user("alice")
        job_id = alice.create(script=SCRIPT)
        alice.wait_for(job_id, "RUNNING")
        handle = json.loads((tmp_path / "orchid" / "jobs" / job_id / "handle.json").read_text())

        with connect(ws_url(server)) as ws:
            ws.send(follow_frame(alice, job_id, stream="s"))
            received = []
            while "before" not in json.dumps(received):
                received.append(json.loads(ws.recv(timeout=10)))

            # When the server is asked to stop
            assert server.process is not None
            server.process.send_signal(signal.SIGTERM)

            # Then the stream ends with a frame that tells the client to reconnect ...
            last = None
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    last = json.loads(ws.recv(timeout=10))
            assert last is not None and last["type"] == "response"
            assert last["status"] == 503
            assert last["payload"]["errorCode"] == "SERVER_RESTARTING"
            assert "reconnect" in last["payload"]["why"]
            # ... and the socket closes with 1012 (service restart)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012

        # And the server exits cleanly (uvicorn ends by re-raising the SIGTERM it handled),
        # while the job goes on running
        assert server.process.wait(timeout=20) == -signal.SIGTERM
        assert "Application shutdown complete" in server.log_path.read_text()
        for job_pid in handle["pids"]:
            os.kill(job_pid, 0)  # raises if the replica is gone

        # When the server starts again and the job finishes
        server.process = None
        server.start()
        (server.workdir(job_id) / "go").touch()
        alice.wait_for(job_id, "SUCCESS")

        # Then a follower gets every line, once
        frames = list(alice.follow(job_id))
        assert logs_of(frames) == {0: "before\nafter\n"}
        assert "Traceback" not in server.log_path.read_text()
    finally:
        server.close()
