"""Pipeline layer: case output folders (unique names, locks, staged commits) and the batch runner."""
