"""Data files of the OD table (a package so that the wheel and PyInstaller carry them)."""
