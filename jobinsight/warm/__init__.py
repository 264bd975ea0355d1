"""The warm runner: `run`, `process` and `scrape` without paying for imports every time.

Why: a flow command spends ~3 s of CPU importing Prefect, pandas and pyarrow before it does
any work, which is most of the wall time of a small run (1,000 new rows, a second demo run).
The first such command starts, beside its own cold run, a small server under
``JOBINSIGHT_HOME`` that imports all of that once and then waits on a Unix socket (private
to the user). A later command sends its arguments, environment, working directory and its
stdin/stdout/stderr to it; the runner forks a child that already has everything imported, the
child runs the command exactly as the cold path would (same CLI code, the caller's
environment), writes to the caller's terminal and reports its exit code. Ctrl-C in the
caller is forwarded to the child.

The runner serves only callers with the same interpreter, the same installed code (file
modification times) and the same ``PREFECT_*`` / ``PYTHON*`` / locale variables, which are
read at import time; for anything else it steps aside and the caller runs cold (and starts a
new runner). ``JOBINSIGHT_WARM_START=false`` turns it off; ``jobinsight stop`` stops it; it
exits by itself after ``JOBINSIGHT_WARM_IDLE_SECONDS`` without a command.

Modules: :mod:`.identity` (what must match, where the socket is), :mod:`.client` (the
caller's side), :mod:`.server` (the runner) and :mod:`.child` (one forked command).
"""
