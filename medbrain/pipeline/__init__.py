"""Pipeline layer (application): the case workspace, the LangChain tool registry, the tool log,
case output folders (unique names, locks, staged commits) and the batch runner."""
