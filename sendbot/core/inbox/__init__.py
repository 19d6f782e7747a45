"""The officers' inbox: tickets by due date with their service-level state, and reports."""
