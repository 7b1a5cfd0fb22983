"""Tasks, their state machine, the host task calls, the scheduler and uploads."""
