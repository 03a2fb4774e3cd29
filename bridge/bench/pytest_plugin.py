"""pytest plugin of the virtual PC/SC bench (fixtures are added by the bench module)."""
