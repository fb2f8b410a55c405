"""The sandbox's command line (providers/sandbox.py), built without touching the host."""

from __future__ import annotations

from pathlib import Path

from orchid.domain.sandbox import Mount, UnixIdentity
from orchid.providers import sandbox
from orchid.providers.sandbox import Sandbox, SystemPath

ALICE = UnixIdentity("alice", 1001, 1002)
SYSTEM = (SystemPath("/usr"), SystemPath("/bin", "usr/bin"), SystemPath("/etc"))


def pairs(argv: list[str], option: str) -> list[tuple[str, str]]:
    """Every (source, target) that follows `option` in argv."""
    return [(argv[i + 1], argv[i + 2]) for i, a in enumerate(argv) if a == option]


def test_a_sandbox_has_its_own_namespaces_but_the_hosts_network() -> None:
    argv = sandbox.bwrap_argv(Sandbox(Path("/data/jobs/1/work")), ["true"])

    assert argv[0] == "/usr/bin/bwrap"
    for option in ("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--new-session"):
        assert option in argv
    assert "--unshare-net" not in argv and "--unshare-all" not in argv
    # Tied to its parent, which is the replica's wrapper (never Orchid: see the restart tests)
    assert "--die-with-parent" in argv


def test_the_job_sees_the_system_read_only_fresh_tmp_dev_proc_and_its_folder_as_work() -> None:
    argv = sandbox.bwrap_argv(Sandbox(Path("/data/jobs/1/work"), system=SYSTEM), ["true"])

    assert pairs(argv, "--ro-bind") == [("/usr", "/usr"), ("/etc", "/etc")]
    assert pairs(argv, "--symlink") == [("usr/bin", "/bin")]
    assert pairs(argv, "--bind") == [("/data/jobs/1/work", "/work")]
    assert argv[argv.index("--proc") : argv.index("--proc") + 2] == ["--proc", "/proc"]
    assert argv[argv.index("--dev") : argv.index("--dev") + 2] == ["--dev", "/dev"]
    tmp = argv.index("--tmpfs")
    assert argv[tmp - 2 : tmp + 2] == ["--perms", "1777", "--tmpfs", "/tmp"]
    assert argv[argv.index("--chdir") + 1] == "/work"
    assert argv[argv.index("--setenv") + 1 : argv.index("--setenv") + 3] == ["HOME", "/work"]


def test_mounts_appear_at_their_targets_read_only_when_asked() -> None:
    mounts = (
        Mount(Path("/files/7/data"), "/work/data", read_only=True),
        Mount(Path("/files/7/out"), "/work/out"),
    )
    argv = sandbox.bwrap_argv(Sandbox(Path("/w"), mounts=mounts), ["true"])

    assert ("/files/7/data", "/work/data") in pairs(argv, "--ro-bind")
    assert pairs(argv, "--bind") == [("/w", "/work"), ("/files/7/out", "/work/out")]


def test_the_command_comes_last_after_dropping_to_the_account() -> None:
    argv = sandbox.bwrap_argv(Sandbox(Path("/w"), run_as=ALICE), ["sh", "-c", "echo hi"])

    command = argv[argv.index("--") + 1 :]
    assert command == [
        "/usr/bin/setpriv",
        "--reuid=1001",
        "--regid=1002",
        "--init-groups",
        "--bounding-set=-all",
        "--inh-caps=-all",
        "--",
        "sh",
        "-c",
        "echo hi",
    ]


def test_without_an_account_to_drop_to_the_command_runs_directly() -> None:
    argv = sandbox.bwrap_argv(Sandbox(Path("/w")), ["sh", "-c", "echo hi"])

    assert argv[argv.index("--") + 1 :] == ["sh", "-c", "echo hi"]
    assert sandbox.drop_argv(ALICE, init_groups=False)[3] == "--clear-groups"


def test_extra_binds_get_traversable_parent_folders() -> None:
    binds = (("/site/orchid/apps", "/run/orchid/python/orchid/apps"),)
    argv = sandbox.bwrap_argv(Sandbox(Path("/w"), binds=binds), ["true"])

    dirs = [argv[i + 3] for i, a in enumerate(argv) if a == "--perms" and argv[i + 2] == "--dir"]
    assert dirs == ["/run", "/run/orchid", "/run/orchid/python", "/run/orchid/python/orchid"]
    assert pairs(argv, "--ro-bind-try") == [("/site/orchid/apps", "/run/orchid/python/orchid/apps")]


def test_the_environment_has_home_work_the_systems_path_and_orchid_apps() -> None:
    env = sandbox.sandbox_env({"PYTHONPATH": "/mine"}, apps=True)

    assert env["HOME"] == "/work"
    assert env["PATH"] == sandbox.SANDBOX_PATH
    assert env["PYTHONPATH"] == "/run/orchid/python:/mine"
    assert sandbox.sandbox_env({"PATH": "/opt/x/bin"}, apps=False)["PATH"] == "/opt/x/bin"


def test_entering_a_running_sandbox() -> None:
    argv = sandbox.nsenter_argv(4242)

    assert argv[:2] == ["/usr/bin/nsenter", "--target=4242"]
    assert {"--pid", "--ipc", "--uts", "--mount", "--root", "--wd"} <= set(argv)
    assert argv[-1] == "--"


def test_a_machine_without_bubblewrap_cannot_start_sandboxed_jobs() -> None:
    reason = sandbox.missing("bwrap", bwrap="/nonexistent/bwrap")

    assert reason is not None and "sandbox is not installed" in reason
    assert sandbox.missing("none", bwrap="/nonexistent/bwrap") is None
