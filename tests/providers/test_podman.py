"""The podman command lines Orchid builds (pure; tests/containers runs them for real)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchid.providers.podman import CONTAINERS_CONF, Podman


def test_a_replica_runs_attached_removed_as_the_user_with_its_folder_as_work() -> None:
    podman = Podman(Path("/data/containers"))

    argv = podman.run_argv(
        name="orchid-example-7-0",
        image="localhost/tools:1",
        argv=["sh", "-c", 'echo "$1"', "x", "; rm -rf ~"],
        env={"GREETING": "a b\nc", "ORCHID_RANK": "0"},
        workdir=Path("/data/jobs/7"),
        user=(1000, 1000),
        rootless=True,
    )

    assert argv[:5] == [
        "podman",
        "--root",
        "/data/containers/storage",
        "--runroot",
        str(podman.runroot),
    ]
    assert len(str(podman.runroot)) <= 50
    for option in (
        "--rm",
        "--pull=never",
        "--network=host",
        "--user=1000:1000",
        "--cap-drop=all",
        "--volume=/data/jobs/7:/work",
        "--workdir=/work",
        "--env=GREETING=a b\nc",
        "--userns=keep-id",
    ):
        assert option in argv
    # The image ends the options; everything after it is the command, element by element.
    image_at = argv.index("localhost/tools:1")
    assert argv[image_at + 1 :] == ["sh", "-c", 'echo "$1"', "x", "; rm -rf ~"]


@pytest.mark.parametrize("image", ["--privileged", "../x", "a b", ""])
def test_what_is_not_an_image_reference_is_refused(image: str) -> None:
    with pytest.raises(ValueError, match="not an image reference"):
        Podman(Path("/d")).run_argv(
            name="n",
            image=image,
            argv=["true"],
            env={},
            workdir=Path("/w"),
            user=(0, 0),
            rootless=False,
        )


def test_the_configuration_uses_the_settings_that_work_here() -> None:
    assert 'runtime = "runc"' in CONTAINERS_CONF
    assert 'cgroup_manager = "cgroupfs"' in CONTAINERS_CONF
    assert 'events_logger = "file"' in CONTAINERS_CONF
    assert "nofile=20000:20000" in CONTAINERS_CONF
