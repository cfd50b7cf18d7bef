"""bench/gpu_session.py's sections, one file each."""
