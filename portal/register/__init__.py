"""Importing the population register's list of new registrations into the queue."""
