#!/usr/bin/env sh
# Start a Prefect worker for the `jobinsight` work pool from this clone.
#
# The deployments' pull step changes into $JOBINSIGHT_PROJECT_DIR before a run starts, so
# every machine can keep its clone wherever it likes: this script sets it to the clone it
# lives in. The worker uses the Prefect of the clone's virtualenv (.venv) when there is one.
# Extra arguments go to `prefect worker start` (e.g. --name, --limit).
# Stop it with Ctrl-C (SIGINT): it lets running flow runs finish their current step.
set -eu
cd "$(dirname "$0")/.."
JOBINSIGHT_PROJECT_DIR="$(pwd)"
export JOBINSIGHT_PROJECT_DIR
if [ -x .venv/bin/prefect ]; then PREFECT=.venv/bin/prefect; else PREFECT=prefect; fi
exec "$PREFECT" worker start --pool jobinsight --type process "$@"
