"""Drives in jobs, on every provider (decision 12): a job reads an uploaded file through a
read-only mount, cannot write into it, writes its result to /work, and the result is downloaded
from its output folder in the Home drive (on Slurm the storage root is shared with the nodes)."""

from __future__ import annotations

from tests.api.files_support import download, home, names, upload
from tests.contract.conftest import Target
from tests.support import Api, job_spec, logs_of


def test_a_job_reads_a_read_only_mount_and_leaves_its_result_in_its_output_folder(
    target: Target, api: Api
) -> None:
    h = home(api)
    assert upload(api, f"/{h}/inputs/words.txt", b"alpha beta gamma delta\n").status_code == 200
    script = (
        "wc -w < /work/inputs/words.txt > /work/count.txt\n"
        "if touch /work/inputs/new 2>/dev/null; then echo WROTE; exit 9; fi\n"
        "echo read-only held; pwd\n"
    )
    spec = job_spec(**target.spec(script=script))
    spec["resources"] = [{"type": "file", "path": f"/{h}/inputs", "readOnly": True}]
    created = api.http.post("/api/jobs", json={"items": [spec]})
    assert created.status_code == 200, created.text
    job_id = created.json()["responses"][0]["id"]
    frames = list(api.follow(job_id, timeout=60))
    job = api.wait_for(job_id, "SUCCESS", "FAILURE", timeout=60)
    assert job["status"]["state"] == "SUCCESS", job["updates"]
    last = job["updates"][-1]["status"]
    assert last == "Your job has completed (exit code 0)", (last, logs_of(frames, "stderr"))
    assert logs_of(frames)[0] == "read-only held\n/work\n"
    folder = job["output"]["outputFolder"]
    assert folder == f"/{h}/Jobs/Shell script/{job_id}"
    assert download(api, f"{folder}/count.txt").text.strip() == "4"
    assert names(api, f"/{h}/inputs") == ["words.txt"]
