"""The incident run: trigger, scope resolution, versions, snapshots fallback, obligations calendar and legal approval."""
