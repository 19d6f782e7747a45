"""Letters a parent can send the council when a time limit has passed: filled, never kept."""
