#!/usr/bin/env sh
# Start a worker for the `jobinsight` work pool: `jobinsight worker` of this clone's virtualenv.
#
# Kept for existing setups; `jobinsight worker` (or a plain `prefect worker start --pool
# jobinsight`) does the same from any folder. The deployments' pull step says where the code
# is (this clone's absolute path, or a git clone: see deployments/README.md).
# Extra arguments go to `jobinsight worker` (e.g. --name, --limit).
# One Ctrl-C (SIGINT) or SIGTERM: idle, it stops at once; busy, it waits for its runs.
set -eu
cd "$(dirname "$0")/.."
if [ -x .venv/bin/jobinsight ]; then JOBINSIGHT=.venv/bin/jobinsight; else JOBINSIGHT=jobinsight; fi
exec "$JOBINSIGHT" worker "$@"
