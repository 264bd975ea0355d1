"""Which runs holding batch claims are dead, asked of the Prefect API.

A claim records the flow run id of the run that took it. When that flow run is over —
crashed (the process was killed), cancelled, failed for good, or even completed without
saving — it will never save the claim, so its rows are freed at once instead of after the
lease (15 minutes by default), during which every other run used to report "no eligible rows
left" and exit 0. The lookup lives here, not in ``jobinsight``, which stays free of Prefect.
"""

from __future__ import annotations

import logging
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

log = logging.getLogger(__name__)


def _as_uuid(run_id: str) -> UUID | None:
    try:
        return UUID(run_id)
    except ValueError:
        return None


def dead_flow_runs(run_ids: list[str]) -> list[str]:
    """The run ids among ``run_ids`` whose Prefect flow run is in a final state.

    A run id Prefect does not know (another server, a run deleted from the UI, a non-Prefect
    caller) is never counted dead: its claim ends with its lease, as before. When the API
    cannot be asked, nothing is released (the lease still bounds the wait).
    """
    ids = [uid for uid in (_as_uuid(r) for r in run_ids) if uid is not None]
    if not ids:
        return []
    try:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)),
                                         limit=len(ids))
    except Exception as exc:  # noqa: BLE001 - the lease still frees the rows; never fail a run over this
        log.warning("could not ask the Prefect API which claim owners are dead (%s); their claims end with "
                    "their lease", type(exc).__name__)
        return []
    return sorted(str(run.id) for run in runs if run.state is not None and run.state.is_final())
