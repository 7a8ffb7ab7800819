"""Platform-neutral core: models, commands, the generation service and the job runner."""
