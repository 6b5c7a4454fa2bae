"""Finding residents: the header search over every file a user may see."""
