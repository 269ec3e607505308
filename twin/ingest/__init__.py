"""Reading the world: GIS files, CityJSON, device lists -> scene entities (numpy geometry)."""
