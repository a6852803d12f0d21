"""Batch jobs over HTTP: upload a file of cases, follow the job, download the results.

``POST /api/v1/jobs`` (multipart: ``file``, ``product``, optional ``output``
and ``record``) answers 202 with the job; ``GET /api/v1/jobs/{id}`` is its
progress (rows done of the total, bad rows with their row number and
problem); ``GET /api/v1/jobs/{id}/results`` the results file once it is done;
``GET /api/v1/jobs`` the signed-in user's jobs, newest first (what a page
shows again after a reload). The work is `jobs.Jobs`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from .auth import Decider
from .errors import ProblemRecord, documented
from .jobs import Job
from .refs import REF_SCHEMA

router = APIRouter(tags=["jobs"])

JobId = Path(min_length=40, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
             description="the id the job was given when submitted")


class JobState(BaseModel):
    """A batch job: its state, progress and the rows it had to skip."""

    id: str
    status: Literal["queued", "running", "done", "failed"]
    product: str = Field(description="the product version the job evaluates with")
    input: str = Field(description="the uploaded file's name")
    output: str = Field(description="the results' format: .csv or .jsonl")
    record: bool
    created_at: str
    started_at: str | None
    finished_at: str | None
    total: int | None = Field(description="rows in the file, once counted")
    processed: int = Field(description="rows done so far (written or skipped)")
    written: int
    skipped: int
    problem_count: int
    problems: list[ProblemRecord] = Field(description="bad rows, with row number and column "
                                                      "(the first 1,000), or why the job failed")
    results: str | None = Field(description="where to download the results, once done")


def _state(job: Job) -> JobState:
    data = job.to_json()
    del data["user"], data["product_hash"], data["suffix"]
    results = f"/api/v1/jobs/{job.id}/results" if job.status == "done" else None
    return JobState.model_validate({**data, "results": results})


@router.post("/jobs", summary="Submit a batch of cases (CSV or JSON lines)", status_code=202,
             response_model=JobState, responses=documented(404, 409))
def submit(request: Request, user: Decider,
           file: Annotated[UploadFile, File(description="cases: .csv (dotted headers) or "
                                                        ".jsonl")],
           product: Annotated[str, Form(max_length=80, json_schema_extra=REF_SCHEMA,
                                        description="ID, ID@VERSION or ID@YYYY-MM-DD")],
           output: Annotated[Literal["csv", "jsonl"] | None,
                             Form(description="results format (default: as input)")] = None,
           record: Annotated[bool, Form(description="record every decision in the audit "
                                                    "trail (a published version)")] = False
           ) -> JobState:
    config = request.app.state.config
    job = request.app.state.jobs.submit(user, product, file, output, record,
                                        config.max_upload_bytes)
    return _state(job)


@router.get("/jobs", summary="The signed-in user's jobs, newest first",
            response_model=list[JobState])
def jobs(request: Request, user: Decider) -> list[JobState]:
    return [_state(job) for job in request.app.state.jobs.of(user)]


@router.get("/jobs/{job_id}", summary="A job's state and progress", response_model=JobState,
            responses=documented(404))
def job(request: Request, user: Decider, job_id: str = JobId) -> JobState:
    return _state(request.app.state.jobs.get(job_id, user))


@router.get("/jobs/{job_id}/results", summary="Download a finished job's results",
            response_class=FileResponse, responses={
                **documented(404, 409),
                200: {"description": "the results file: one row per case",
                      "content": {"text/csv": {"schema": {"type": "string"}},
                                  "application/x-ndjson": {"schema": {"type": "string"}}}}})
def results(request: Request, user: Decider, job_id: str = JobId) -> FileResponse:
    done, path = request.app.state.jobs.results(job_id, user)
    stem = done.input.rsplit(".", 1)[0]
    kind = "text/csv" if done.output == ".csv" else "application/x-ndjson"
    return FileResponse(path, media_type=kind, filename=f"{stem}-results{done.output}")
