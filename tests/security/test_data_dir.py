"""The data directory and the database belong to the service's account alone, and `orchid serve`
says at start whether products' CPU/memory limits are enforced."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from orchid.providers.local import limits
from tests.support import Server


def test_the_data_directory_and_database_are_the_services_alone(tmp_path: Path) -> None:
    # Given a data directory that starts out open to everyone
    data_dir = tmp_path / "orchid"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)

    # When Orchid serves from it
    server = Server(data_dir).start()
    try:
        # Then the folder is 0700 and the database 0600, both the service's
        info = data_dir.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (os.geteuid(), 0o700)
        database = (data_dir / "orchid.db").stat()
        assert (database.st_uid, stat.S_IMODE(database.st_mode)) == (os.geteuid(), 0o600)
        # ... and the log says once why limits are (not) enforced
        assert server.log_path.read_text().count("CPU and memory limits are not enforced") == 1
    finally:
        server.close()


def test_the_reason_limits_are_not_enforced_names_the_machines_cgroups(tmp_path: Path) -> None:
    # A hybrid machine: the v2 tree has no cpu or memory controller
    (tmp_path / "unified").mkdir()
    (tmp_path / "unified" / "cgroup.controllers").write_text("hugetlb\n")
    assert "hybrid" in limits.not_enforced_because(tmp_path)

    # A v2 machine without the memory controller
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "cgroup.controllers").write_text("cpu io pids\n")
    assert "['memory']" in limits.not_enforced_because(v2)

    # No cgroups at all
    assert "no cgroup v2 tree" in limits.not_enforced_because(tmp_path / "none")
