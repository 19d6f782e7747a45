"""Case status: importing the council's cases, linking parents, deadlines and alerts."""
