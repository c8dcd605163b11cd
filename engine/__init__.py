"""Workflow runtime over SpiffWorkflow.

Knows processes, tasks, timers and audit; knows nothing of loans. Domain code
reaches it only through registered service functions (see `services`).
"""
