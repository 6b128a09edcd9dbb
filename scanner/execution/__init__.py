"""How per-file analysis runs: `file_tasks` (one file's unit of work and its JSON codec in
`collected_json`), `scheduling` (in this process, in worker processes, or on a Dask cluster
through `dask_backend`) and `digest_cache` (results reused when a file's identity and stat
are unchanged)."""
