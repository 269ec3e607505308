"""pyvista / VTK visuals of a scene: merged meshes per kind, instanced device glyphs, views."""
