"""The README's command-line examples, run against a fresh server so they cannot go stale.

In the "## Command line" and "## Files" sections, each ```console block is a session: `$ ` lines
are commands (run by bash, in one scratch directory, with `orchid` on PATH), and the lines under a
command must appear in its output (stdout or stderr), spacing aside; `...` matches anything and
times of day match any time. The ```python blocks of "## Command line" are run too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.client.servers import running_server
from tests.support import Server

README = Path(__file__).parents[2] / "README.md"
SECTION = "## Command line"
# Sections whose console blocks run, in this order, on one server (the Files examples follow the
# job examples); the python blocks are those of SECTION.
CONSOLE_SECTIONS = (SECTION, "## Files")
_CLOCK = re.compile(r"\d\d:\d\d:\d\d")


@dataclass
class Example:
    command: str
    expected: list[str] = field(default_factory=list)


def section_text(section: str = SECTION) -> str:
    text = README.read_text()
    start = text.index(f"\n{section}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def blocks(language: str, section: str = SECTION) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", section_text(section), re.S | re.M)


def examples(sections: tuple[str, ...] = CONSOLE_SECTIONS) -> list[Example]:
    found: list[Example] = []
    for block in [b for section in sections for b in blocks("console", section)]:
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append(Example(line[2:]))
            elif line.strip():
                found[-1].expected.append(line)
    return found


def pattern(expected: str) -> re.Pattern[str]:
    words = " ".join(expected.split())
    parts = [_CLOCK.sub(r"\\d\\d:\\d\\d:\\d\\d", re.escape(part)) for part in words.split("...")]
    return re.compile(".*".join(parts))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    """A server of its own, so the job ids in the README (1, 2, ...) are the ones it hands out."""
    with running_server(tmp_path_factory.mktemp("readme")) as server:
        token = server.user("reader").token
        env = {
            **os.environ,
            "ORCHID_URL": server.url,
            "ORCHID_TOKEN": token,
            "XDG_CONFIG_HOME": str(tmp_path_factory.mktemp("config")),
            "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]),
            "COLUMNS": "200",
        }
        yield server, env


def test_the_readme_has_command_line_examples() -> None:
    assert len(examples()) >= 10 and blocks("python")
    assert any(e.command.startswith("orchid files upload") for e in examples())


# Twenty-odd CLI processes per section, and the first one also waits for the server to start.
@pytest.mark.timeout(300)
@pytest.mark.parametrize("section", CONSOLE_SECTIONS)
def test_every_readme_command_works_as_shown(
    fresh: tuple[Server, dict[str, str]], tmp_path: Path, section: str
) -> None:
    """Each section in its own scratch folder, in README order on the one server."""
    _, env = fresh
    for example in examples((section,)):
        done = subprocess.run(
            ["bash", "-c", example.command],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        output = [" ".join(line.split()) for line in (done.stdout + done.stderr).splitlines()]
        assert done.returncode == 0, (example.command, done.stdout, done.stderr)
        for expected in example.expected:
            if expected.strip() == "...":
                continue
            wanted = pattern(expected)
            assert any(wanted.fullmatch(line) for line in output), (
                f"$ {example.command}\nexpected: {expected}\ngot:\n" + "\n".join(output)
            )


def test_the_readme_sdk_example_runs(fresh: tuple[Server, dict[str, str]]) -> None:
    _, env = fresh
    for code in blocks("python"):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.endswith("SUCCESS Your job has completed (exit code 0)\n"), done.stdout
