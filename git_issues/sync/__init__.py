"""Issues in from elsewhere and back: GitHub (import and two-way sync), beads, JSON."""
