"""What we keep about each job: row, snapshot, history, events, and the one write path."""
