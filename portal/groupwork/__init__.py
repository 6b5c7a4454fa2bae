"""Group work: activities that are not per person, and the programmes' waiting lists."""
