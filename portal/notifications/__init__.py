"""What is new for each user: notifications in the portal, and by e-mail if they want it."""
