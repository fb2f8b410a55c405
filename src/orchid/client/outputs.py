"""A job's output folder (decision 12): the folder of the user's Home drive that is the job's
/work, kept after the job ends. Shared by the blocking and the asynchronous client."""

from __future__ import annotations

from orchid.client.errors import NotFoundError
from orchid.schemas.apps import FileValue
from orchid.schemas.jobs import Job

NO_OUTPUT_FOLDER = "NO_OUTPUT_FOLDER"


def output_folder_of(job: Job) -> str:
    """The UCloud path of the job's output folder. Raises NotFoundError (NO_OUTPUT_FOLDER) for a
    job that has none (one created before the server had drives)."""
    folder = job.output.output_folder if job.output is not None else None
    if not folder:
        raise NotFoundError(404, f"job {job.id} has no output folder", NO_OUTPUT_FOLDER)
    return folder


def mount(path: str, *, read_only: bool = False) -> FileValue:
    """A folder or file of your drives (`/<drive id>/...`) for a job's `resources`: the job sees
    it at `/work/<its name>`, read-only when asked."""
    return FileValue(path=path, read_only=read_only)
