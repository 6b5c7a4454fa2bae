"""What reaches the resident on paper: the texts of slips, letters and reminders."""
