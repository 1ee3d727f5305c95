"""Frame sources and the processing pipeline shared by the GUI and the CLI (no Qt)."""
