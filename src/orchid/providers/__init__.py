"""Where jobs run: one small interface (base.py) and its implementations (local/, slurm/)."""
