"""Job actions: create, recreate, rename, tag and delete DRS jobs, exactly once and audited."""
