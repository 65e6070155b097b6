"""Platform adapters: events in, Reply rendered and delivered out."""
